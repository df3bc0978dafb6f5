// The MCP gateway over HTTP (docs/mcp.md, "The HTTP gateway"): `tollgate
// serve --http` serves `/mcp/<name>` in front of remote Streamable HTTP MCP
// servers declared in DATA/mcp.json. Each request goes through the same
// mcp::Gateway logic as the stdio wrapper — decided, filtered, pinned,
// recorded — and is forwarded with the upstream's own credentials from the
// configuration; the client's credential (the API token or a task token) is
// never passed on, and the upstream's token never reaches the client.
//
// Requests run on worker threads (blocking I/O with deadlines), at most
// kMaxWorkers at once; the daemon's event loop hands a connection over and
// forgets it. abort_all() unblocks every worker at shutdown.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
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
};

// DATA/mcp.json: {"upstreams": [{"name": "github", "url": "https://…/mcp",
//   "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"}, "ca_file": "…",
//   "timeout_ms": 30000}]}. `${VAR}` is taken from the daemon's environment;
// `"headers_file": PATH` reads "Name: value" lines from a file (0600).
// `"credential": NAME` takes the upstream's credential from the broker
// instead, per task (`"credential_header"`, `"credential_prefix"` say how
// it is sent; default `Authorization: Bearer …`).
Result<std::vector<McpUpstream>> load_mcp_upstreams(const std::string& path);

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
  // caller answers 503) when every worker is busy.
  bool dispatch(int fd, HttpRequest req, std::string name, bool api_token);
  // Unblocks and waits for every worker (daemon shutdown).
  void abort_all();

  struct State;  // one client session's gateway (mcp_http.cc)

 private:
  void serve(int fd, const HttpRequest& req, const std::string& name, bool api_token);
  std::shared_ptr<State> state_for(const std::string& key, const mcp::GatewayOptions& o);
  void track(int fd, bool on);

  Service& service_;
  using Upstreams = std::map<std::string, McpUpstream>;
  std::shared_ptr<const Upstreams> upstreams_;  // guarded by mu_; a request keeps the snapshot it started with
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int workers_ = 0;                                       // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  std::set<int> fds_;                                     // guarded by mu_: sockets workers block on
  std::map<std::string, std::shared_ptr<State>> states_;  // guarded by mu_: per client session
  std::atomic<uint64_t> sessions_started_{0};             // `initialize` requests seen
  // Broker credentials by upstream and caller (its task token's digest).
  struct Lease {
    std::string secret, lease;
  };
  std::map<std::string, Lease> creds_;  // guarded by mu_
  Result<std::string> upstream_secret(const McpUpstream& up, std::string_view task_token, const std::string& caller);
};

}  // namespace tollgate::server
