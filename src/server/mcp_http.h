// The MCP gateway over HTTP (docs/mcp.md, "The HTTP gateway"): `tollgate
// serve --http` serves `/mcp/<name>` in front of remote Streamable HTTP MCP
// servers declared in DATA/mcp.json. Each request goes through the same
// mcp::Gateway logic as the stdio wrapper — decided, filtered, pinned,
// recorded — and is forwarded with the upstream's own credentials from the
// configuration; the client's credential (the API token or a task token) is
// never passed on, and the upstream's token never reaches the client.
// Connections to each upstream are kept between requests (mcp::HttpPool),
// so a call does not pay a TCP and TLS handshake.
//
// Requests run on worker threads (blocking I/O with deadlines), at most
// kMaxWorkers at once; the daemon's event loop hands a connection over and
// forgets it, and a worker gives a kept connection back to the loop once
// its answer is out. Workers stay for the next request and end after a
// minute without one. abort_all() unblocks every worker at shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "mcp/gateway.h"
#include "mcp/http_client.h"
#include "server/http.h"

namespace tollgate::server {

class Service;

struct McpUpstream {
  std::string name;
  std::string url_text;
  mcp::HttpUrl url;
  std::map<std::string, std::string> headers;  // credentials injected on every upstream request
  // A broker credential (docs/tasks.md, "Credentials") issued to the
  // caller's task and sent as `credential_header: credential_prefix<secret>`.
  std::string credential;
  std::string credential_header = "Authorization";
  std::string credential_prefix = "Bearer ";
  std::string ca_file;
  int timeout_ms = 30000;
  // Its kept connections (set by McpHttpGateway::set_upstreams; shared by
  // the requests that started with this configuration).
  std::shared_ptr<mcp::HttpPool> pool;
};

// DATA/mcp.json: {"upstreams": [{"name": "github", "url": "https://…/mcp",
//   "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"}, "ca_file": "…",
//   "timeout_ms": 30000}]}. `${VAR}` is taken from the daemon's environment;
// `"headers_file": PATH` reads "Name: value" lines from a file (0600).
// `"credential": NAME` takes the upstream's credential from the broker
// instead, per task (`"credential_header"`, `"credential_prefix"` say how
// it is sent; default `Authorization: Bearer …`).
Result<std::vector<McpUpstream>> load_mcp_upstreams(const std::string& path);

// What the gateway learned about a client's connection, kept with it
// between requests: the traced harness process on its other end
// (Service::harness_peer; 0: none) and the generation of traced harnesses
// it was looked up in, so a kept connection is looked up again only when
// another harness has been traced.
struct ConnPeer {
  int pid = 0;
  uint64_t generation = 0;
  bool known = false;
};

class McpHttpGateway {
 public:
  static constexpr int kMaxWorkers = 64;
  McpHttpGateway(Service& service, std::vector<McpUpstream> upstreams);
  ~McpHttpGateway();

  bool has(const std::string& name) const;
  // Replaces the upstreams (a reload of mcp.json). Requests under way finish
  // with the configuration they started with; cached broker credentials
  // are dropped, since an upstream may now name another one.
  void set_upstreams(std::vector<McpUpstream> upstreams);
  // Takes over `fd` and serves the request on a worker thread. False (the
  // caller answers 503) when every worker is busy. `may_keep`: nothing came
  // in after the request, so the connection may carry another one.
  // `peer`: what an earlier request on the connection learned.
  bool dispatch(int fd, HttpRequest req, std::string name, bool api_token, bool may_keep = false, ConnPeer peer = {});
  // Where a worker gives a client's connection that may carry another
  // request once its answer is out (HTTP/1.1 keep-alive, an answer of known
  // length); without it, or while stopping, the connection is closed. Set
  // before the first dispatch.
  void set_give_back(std::function<void(int fd, ConnPeer peer)> f) { give_back_ = std::move(f); }
  // Unblocks and waits for every worker (daemon shutdown).
  void abort_all();

  struct State;  // one client session's gateway (mcp_http.cc)

 private:
  struct Job {
    int fd;
    HttpRequest req;
    std::string name;
    bool api_token, may_keep;
    ConnPeer peer;
  };
  // A worker thread: serves queued requests until none comes for kWorkerIdle.
  void work();
  static constexpr std::chrono::seconds kWorkerIdle{60};
  // Serves one request; true when the connection may carry another.
  // `peer` is looked up when unknown or out of date.
  bool serve(int fd, const HttpRequest& req, const std::string& name, bool api_token, bool may_keep, ConnPeer& peer);
  // The state of `key` (made when new) for the credential whose digest is
  // `cred` (empty: the API token's).
  std::shared_ptr<State> state_for(const std::string& key, const std::string& cred, const mcp::GatewayOptions& o);
  // Registers a socket a worker blocks on (abort_all() shuts it down);
  // false, and shut down at once, while stopping.
  bool track(int fd, bool on);

  Service& service_;
  std::function<void(int fd, ConnPeer peer)> give_back_;
  using Upstreams = std::map<std::string, McpUpstream>;
  std::shared_ptr<const Upstreams> upstreams_;  // guarded by mu_; a request keeps the snapshot it started with
  mutable std::mutex mu_;
  std::condition_variable idle_;                          // workers_ or threads_ reached 0
  std::condition_variable work_;                          // a job was queued, or stopping
  int workers_ = 0;                                       // guarded by mu_: requests queued or being served
  int threads_ = 0;                                       // guarded by mu_: worker threads alive
  int waiting_ = 0;                                       // guarded by mu_: of those, waiting for a job
  std::deque<Job> jobs_;                                  // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  std::set<int> fds_;                                     // guarded by mu_: sockets workers block on
  std::map<std::string, std::shared_ptr<State>> states_;  // guarded by mu_: per client session
  // Guarded by mu_: "<upstream>|<Mcp-Session-Id>" → the digest of the
  // credential whose initialize opened that upstream session.
  std::map<std::string, std::string> session_owner_;
  uint64_t states_born_ = 0;                   // guarded by mu_
  std::atomic<uint64_t> sessions_started_{0};  // `initialize` requests seen
  // Broker credentials by upstream and caller (its task token's digest).
  struct Lease {
    std::string secret, lease;
  };
  std::map<std::string, Lease> creds_;  // guarded by mu_
  Result<std::string> upstream_secret(const McpUpstream& up, std::string_view task_token, const std::string& caller);
};

}  // namespace tollgate::server
