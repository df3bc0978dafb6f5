// The MCP gateway over HTTP (server/mcp_http.h).
#include "server/mcp_http.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "base/json.h"
#include "policy/pack.h"
#include "server/daemon.h"

namespace tollgate::server {

using nlohmann::json;

namespace {

// Whether the client of `fd` has gone. A client that only shut its sending
// side still reads: when it has, an SSE comment is written, which fails
// (now or, once the peer's reset is back, the next time) if it has closed.
bool client_gone(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR)) return true;
  if (!(p.revents & POLLRDHUP)) return false;
  static constexpr char kComment[] = ":\n\n";
  return ::send(fd, kComment, sizeof kComment - 1, MSG_NOSIGNAL) < 0;
}

constexpr size_t kMaxUpstreamBody = 16u << 20;
constexpr size_t kMaxStates = 1000;
constexpr size_t kMaxStatesPerCredential = 64;
constexpr size_t kMaxHeadersFile = 64u << 10;

// ${VAR} from the daemon's environment; an unset variable is an error.
Result<std::string> expand(const std::string& v, const std::string& where) {
  std::string out;
  for (size_t i = 0; i < v.size();) {
    if (v.compare(i, 2, "${") == 0) {
      auto close = v.find('}', i);
      if (close == std::string::npos) return Error(where + ": unterminated ${…}");
      std::string name = v.substr(i + 2, close - i - 2);
      const char* val = std::getenv(name.c_str());
      if (!val) return Error(where + ": the environment variable `" + name + "` is not set");
      out += val;
      i = close + 1;
    } else {
      out += v[i++];
    }
  }
  return out;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string head(int status, std::string_view content_type, const std::string& session, int64_t length,
                 bool keep = false) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
  if (!session.empty()) h += "Mcp-Session-Id: " + session + "\r\n";
  if (length >= 0) h += "Content-Length: " + std::to_string(length) + "\r\n";
  // A kept connection closes after 35 s idle (daemon.cc): the client is
  // told a little less, so it never sends a request into the close.
  h += keep ? "Cache-Control: no-store\r\nKeep-Alive: timeout=30\r\n\r\n"
            : "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  return h;
}

// The client's connection, and whether it may carry another request once
// this one is answered.
struct Client {
  int fd;
  bool keep;
};

// Writes a whole answer; true when the connection may carry another request.
bool reply(const Client& c, int status, const std::string& body, const std::string& session = {},
           std::string_view type = "application/json") {
  bool written = write_all(
      c.fd, head(status, body.empty() ? "" : type, session, static_cast<int64_t>(body.size()), c.keep) + body);
  return written && c.keep;
}

std::string rpc_error(int code, const std::string& msg) {
  return dump_json(json{{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", code}, {"message", msg}}}});
}

std::string header_of(const HttpRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

// The 2026-07-28 routing headers must say what the body says.
std::string routing_mismatch(const HttpRequest& r) {
  std::string method_h = header_of(r, "mcp-method"), name_h = header_of(r, "mcp-name");
  if (method_h.empty() && name_h.empty()) return {};
  auto j = parse_json(r.body, "body", 64);
  if (!j || !j->is_object()) return "Mcp-Method/Mcp-Name headers need a single JSON-RPC message";
  auto m = j->find("method");
  if (m == j->end() || !m->is_string()) return "the Mcp-Method header needs a request whose `method` is a string";
  std::string method = m->get<std::string>();
  if (!method_h.empty() && method_h != method)
    return "the Mcp-Method header (" + method_h + ") does not match the body's method (" + method + ")";
  if (!name_h.empty()) {
    const json params = j->contains("params") && (*j)["params"].is_object() ? (*j)["params"] : json::object();
    std::string key = method == "resources/read" ? "uri" : "name";
    std::string name = params.contains(key) && params[key].is_string() ? params[key].get<std::string>() : "";
    if (name_h != name) return "the Mcp-Name header (" + name_h + ") does not match the body (" + name + ")";
  }
  return {};
}

}  // namespace

Result<std::vector<McpUpstream>> load_mcp_upstreams(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error("cannot read `" + path + "`");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = parse_json(ss.str(), path, 16);
  if (!j) return std::move(j).error();
  if (!j->is_object() || !j->contains("upstreams") || !(*j)["upstreams"].is_array())
    return Error(path + ": expected {\"upstreams\": [ … ]}");
  std::vector<McpUpstream> out;
  try {
    for (const auto& u : (*j)["upstreams"]) {
      McpUpstream up;
      up.name = u.at("name").get<std::string>();
      std::string where = path + ": upstream `" + up.name + "`";
      if (up.name.empty() || up.name.size() > 128 ||
          up.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
              std::string::npos)
        return Error(path + ": an upstream name must be 1–128 letters, digits, `-`, `_` or `.`");
      for (const auto& o : out)
        if (o.name == up.name) return Error(where + " is declared twice");
      up.url_text = u.at("url").get<std::string>();
      auto url = mcp::parse_http_url(up.url_text);
      if (!url) return Error(where + ": " + url.error().message);
      up.url = *url;
      if (auto h = u.find("headers"); h != u.end()) {
        for (auto it = h->begin(); it != h->end(); ++it) {
          auto v = expand(it.value().get<std::string>(), where);
          if (!v) return std::move(v).error();
          up.headers[it.key()] = *v;
        }
      }
      if (auto hf = u.find("headers_file"); hf != u.end()) {
        // A regular file of at most 64 KiB: never a device or a FIFO that never ends.
        std::string hpath = hf->get<std::string>();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(hpath, ec))
          return Error(where + ": its headers_file is not a regular file");
        std::ifstream f(hpath, std::ios::binary);
        if (!f) return Error(where + ": cannot read its headers_file");
        std::string content(kMaxHeadersFile + 1, '\0');
        f.read(content.data(), static_cast<std::streamsize>(content.size()));
        content.resize(static_cast<size_t>(f.gcount()));
        if (content.size() > kMaxHeadersFile) return Error(where + ": its headers_file is larger than 64 KiB");
        std::istringstream lines(content);
        std::string line;
        while (std::getline(lines, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty() || line[0] == '#') continue;
          auto colon = line.find(':');
          if (colon == std::string::npos) return Error(where + ": headers_file lines are `Name: value`");
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          up.headers[line.substr(0, colon)] = value;
        }
      }
      if (auto c = u.find("credential"); c != u.end()) {
        up.credential = c->get<std::string>();
        if (!up.headers.empty())
          return Error(where +
                       ": takes its credential either from `headers` or from the broker (`credential`), not both");
        up.credential_header = u.value("credential_header", up.credential_header);
        up.credential_prefix = u.value("credential_prefix", up.credential_prefix);
        if (up.credential.empty() || up.credential_header.empty() ||
            up.credential_header.find_first_of(":\r\n \t") != std::string::npos ||
            up.credential_prefix.find_first_of("\r\n") != std::string::npos)
          return Error(where +
                       ": `credential` needs a name, a header name without `:` or spaces, and a one-line prefix");
      }
      up.ca_file = u.value("ca_file", std::string());
      up.timeout_ms = u.value("timeout_ms", 30000);
      if (up.timeout_ms <= 0 || up.timeout_ms > 600000) return Error(where + ": timeout_ms must be 1–600000");
      out.push_back(std::move(up));
    }
  } catch (const json::exception& e) {
    return Error(path + ": " + e.what());
  }
  return out;
}

struct McpHttpGateway::State {
  std::mutex mu;
  std::unique_ptr<mcp::Gateway> gw;
  // The process of the request being handled when it is a traced harness or
  // one of its descendants (Service::harness_peer), else 0: its decisions
  // are taken in the harness's session. Looked up per request — clients
  // with one credential share a state in the stateless era — and set by
  // whoever holds `mu`.
  int peer_pid = 0;        // guarded by mu
  std::string credential;  // the digest of the credential it serves
  uint64_t born = 0;       // creation order, for eviction
};

namespace {

// The gateway of a client session, locked for one request's process.
struct LockedFor {
  std::lock_guard<std::mutex> lock;
  LockedFor(McpHttpGateway::State& st, int peer) : lock(st.mu) {
    st.peer_pid = peer;
    if (st.gw) st.gw->set_caller(peer);
  }
};

}  // namespace

McpHttpGateway::McpHttpGateway(Service& service, std::vector<McpUpstream> upstreams) : service_(service) {
  set_upstreams(std::move(upstreams));
}

void McpHttpGateway::set_upstreams(std::vector<McpUpstream> upstreams) {
  auto next = std::make_shared<Upstreams>();
  for (auto& u : upstreams) {
    u.pool = std::make_shared<mcp::HttpPool>(u.url, mcp::HttpConnection::Options{u.timeout_ms, u.ca_file});
    next->emplace(u.name, std::move(u));
  }
  std::lock_guard lock(mu_);
  upstreams_ = std::move(next);
  creds_.clear();
}

McpHttpGateway::~McpHttpGateway() { abort_all(); }

bool McpHttpGateway::has(const std::string& name) const {
  std::lock_guard lock(mu_);
  return upstreams_->count(name) > 0;
}

bool McpHttpGateway::track(int fd, bool on) {
  std::lock_guard lock(mu_);
  if (!on) {
    fds_.erase(fd);
    return true;
  }
  fds_.insert(fd);
  // Opened after abort_all() shut the others down: this one too.
  if (stopping_) ::shutdown(fd, SHUT_RDWR);
  return !stopping_;
}

bool McpHttpGateway::dispatch(int fd, HttpRequest req, std::string name, bool api_token, bool may_keep, ConnPeer peer) {
  std::lock_guard lock(mu_);
  if (stopping_ || workers_ >= kMaxWorkers) return false;
  ++workers_;
  fds_.insert(fd);
  jobs_.push_back(Job{fd, std::move(req), std::move(name), api_token, may_keep, peer});
  // A waiting worker takes it; when the queue holds more jobs than there
  // are waiting workers (some were woken and have not taken theirs yet), a
  // new worker starts.
  work_.notify_one();
  if (jobs_.size() > static_cast<size_t>(waiting_)) {
    try {
      std::thread([this] { work(); }).detach();
      ++threads_;
    } catch (const std::system_error&) {
      // No thread to be had: the workers there are take it in turn; with
      // none, the caller answers 503.
      if (threads_ == 0) {
        jobs_.pop_back();
        fds_.erase(fd);
        --workers_;
        return false;
      }
    }
  }
  return true;
}

void McpHttpGateway::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (jobs_.empty()) {
      ++waiting_;
      bool woken = work_.wait_for(lock, kWorkerIdle, [this] { return !jobs_.empty() || stopping_; });
      --waiting_;
      if (!woken || jobs_.empty()) break;  // idle long enough, or stopping with nothing left
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    bool keep = false;
    if (!stopping_) {  // a job still queued at shutdown is dropped, not decided and sent
      lock.unlock();
      try {
        keep = serve(job.fd, job.req, job.name, job.api_token, job.may_keep, job.peer);
      } catch (const std::exception& e) {
        // A fault in one exchange ends that exchange, never the daemon.
        std::cerr << "tollgate serve: MCP gateway `" << job.name << "`: " << e.what() << "\n";
        (void)reply(Client{job.fd, false}, 500, rpc_error(-32603, "Tollgate: internal error in the MCP gateway"));
        keep = false;
      }
      lock.lock();
    }
    fds_.erase(job.fd);
    keep = keep && !stopping_ && give_back_;
    if (keep) {
      give_back_(job.fd, job.peer);  // takes the loop's hand-off lock only: never ours
    } else {
      ::close(job.fd);
    }
    if (--workers_ == 0) idle_.notify_all();
  }
  --threads_;
  idle_.notify_all();
}

void McpHttpGateway::abort_all() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  work_.notify_all();
  idle_.wait(lock, [this] { return workers_ == 0 && threads_ == 0; });
}

std::shared_ptr<McpHttpGateway::State> McpHttpGateway::state_for(const std::string& key, const std::string& cred,
                                                                 const mcp::GatewayOptions& o) {
  std::lock_guard lock(mu_);
  auto it = states_.find(key);
  if (it != states_.end()) return it->second;
  // Bounded: at most kMaxStatesPerCredential per credential, so that one
  // client (an agent with a task token, say) opening sessions by the
  // hundred evicts its own oldest, not other clients'; kMaxStates in all,
  // the oldest going first.
  // (The API token's clients are the operator's: only the overall bound.)
  for (;;) {
    std::set<const State*> own;
    const State* oldest = nullptr;
    const State* oldest_own = nullptr;
    for (const auto& [k, v] : states_) {
      if (!oldest || v->born < oldest->born) oldest = v.get();
      if (!cred.empty() && v->credential == cred) {
        own.insert(v.get());
        if (!oldest_own || v->born < oldest_own->born) oldest_own = v.get();
      }
    }
    const State* evict = own.size() >= kMaxStatesPerCredential ? oldest_own
                         : states_.size() >= kMaxStates        ? oldest
                                                               : nullptr;
    if (!evict) break;
    for (auto e = states_.begin(); e != states_.end();) e = e->second.get() == evict ? states_.erase(e) : std::next(e);
  }
  auto st = std::make_shared<State>();
  st->credential = cred;
  st->born = ++states_born_;
  Service* svc = &service_;
  // This runs on a worker thread: a record it appends while the event loop's
  // group commit is open joins that commit, so the answer waits for it.
  State* self = st.get();  // the gateway is called only with self->mu held
  auto decider = [svc, self](std::string_view h, std::string_view p) -> Result<std::string> {
    std::string answer = svc->handle(h, p, self->peer_pid);
    if (auto durable = svc->store().wait_durable(); !durable) return durable.error();
    return answer;
  };
  // Outcomes are posted, not waited on, once the answer they record has
  // left — or earlier, by the next request's decision, which must see them.
  // Each is recorded for the process whose answer it was: clients sharing
  // the state must not have each other's results in their sessions.
  auto poster = [svc](std::string_view h, std::string_view p, int caller) -> Status {
    (void)svc->handle(h, p, caller);
    return Status::Ok();
  };
  st->gw = std::make_unique<mcp::Gateway>(o, decider, poster);
  states_[key] = st;
  return st;
}

Result<std::string> McpHttpGateway::upstream_secret(const McpUpstream& up, std::string_view task_token,
                                                    const std::string& caller) {
  if (task_token.empty())
    return Error("only a task's sessions receive credentials; connect with the task's token (TOLLGATE_TASK_TOKEN)");
  // A lease is reused while it lives (a revocation, the task's end or its
  // expiry ends it), so a provider is not asked on every request.
  std::string key = up.name + "|" + caller;
  {
    std::lock_guard lock(mu_);
    auto it = creds_.find(key);
    if (it != creds_.end()) {
      if (service_.lease_live(it->second.lease, 5000)) return it->second.secret;
      creds_.erase(it);
    }
  }
  auto issued = service_.upstream_credential(task_token, up.credential, up.name);
  if (!issued) return std::move(issued).error();
  std::lock_guard lock(mu_);
  if (creds_.size() >= kMaxStates) creds_.erase(creds_.begin());
  creds_[key] = Lease{issued->secret, issued->lease};
  return std::move(issued->secret);
}

bool McpHttpGateway::serve(int fd, const HttpRequest& req, const std::string& name, bool api_token, bool may_keep,
                           ConnPeer& conn_peer) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const Client client{fd, may_keep && req.keep_alive()};
  std::shared_ptr<const Upstreams> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot = upstreams_;
  }
  auto found = snapshot->find(name);
  if (found == snapshot->end())
    return reply(client, 404, rpc_error(-32601, "Tollgate: no MCP upstream `" + name + "`"));
  const McpUpstream& up = found->second;
  timeval tv{up.timeout_ms / 1000, (up.timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  std::string bearer = header_of(req, "authorization");
  if (bearer.rfind("Bearer ", 0) == 0) bearer = bearer.substr(7);
  // Anything but the API token must be a live task token before anything
  // reaches the upstream (with the upstream's credential) — not only the
  // requests that are decided.
  if (!api_token) {
    if (Status live = service_.check_bearer(bearer); !live)
      return reply(
          client, 401,
          rpc_error(-32001, "Tollgate: the bearer token is not a live task token (" + live.error().message + ")"));
  }
  std::string client_session = header_of(req, "mcp-session-id");
  if (client_session.size() > 256 || client_session.find_first_of("\r\n") != std::string::npos)
    return reply(client, 400, rpc_error(-32600, "Tollgate: a bad Mcp-Session-Id"));
  // The state of one client session of one upstream: the upstream's
  // session id when it has one (2025 era), else the client's credential.
  // Each `initialize` starts a client session of its own, so two clients
  // with one credential share neither request ids nor a Tollgate session.
  std::string cred_digest = policy::sha256_hex(bearer).substr(0, 16);
  if (!client_session.empty()) {
    // An upstream session is its opener's: another credential that knows
    // its id does not reach it through Tollgate (404: unknown session).
    std::lock_guard lock(mu_);
    // Nor one Tollgate does not know (a daemon restarted since): the client
    // starts a new session, as the protocol has it after a 404.
    auto owner = session_owner_.find(name + "|" + client_session);
    if (owner == session_owner_.end() || owner->second != cred_digest)
      return reply(client, 404, rpc_error(-32001, "Tollgate: no such session for this credential"));
  }
  std::string key = name + "|" + (client_session.empty() ? "-" : client_session) + "|" + cred_digest;
  const std::string shared_key = key;
  if (client_session.empty() && req.method == "POST" && req.body.find("\"initialize\"") != std::string::npos) {
    auto body = parse_json(req.body, "MCP request", 64);
    if (body && body->is_object() && body->value("method", json()) == "initialize")
      key += "|" + std::to_string(sessions_started_.fetch_add(1) + 1);
  }
  mcp::GatewayOptions o;
  o.server = name;
  o.session = "mcp-http-" + name + "-" + policy::sha256_hex(key).substr(0, 12);
  o.cwd = "/";
  if (!api_token) o.task_token = bearer;  // a task token: the session is bound to its task
  o.agent = header_of(req, "x-tollgate-agent");
  auto st = state_for(key, api_token ? std::string() : cred_digest, o);
  // The generation is read first: a harness traced during the look-up
  // makes the next request on this connection look again.
  if (uint64_t generation = service_.harness_generation(); !conn_peer.known || conn_peer.generation != generation)
    conn_peer = ConnPeer{service_.harness_peer(fd), generation, true};
  const int peer = conn_peer.pid;

  if (req.method == "POST") {
    if (std::string why = routing_mismatch(req); !why.empty()) {
      LockedFor lock(*st, peer);
      (void)service_.handle(
          dump_json(
              json{{"v", 1}, {"op", "mcp"}, {"kind", "event"}, {"server", name}, {"session", o.session}, {"bytes", 0}}),
          dump_json(json{{"event", "header-mismatch"}, {"detail", why}, {"bytes", req.body.size()}}));
      return reply(client, 400, rpc_error(-32600, "Tollgate: " + why));
    }
  }

  mcp::Gateway::Output first;
  if (req.method == "POST") {
    LockedFor lock(*st, peer);
    first = st->gw->from_client(req.body);
  }
  if (req.method == "POST" && first.to_server.empty()) {
    // Answered by the gateway itself (a denial, a protocol error) or nothing to send.
    if (first.to_client.empty()) return reply(client, 202, "");
    return reply(client, 200, first.to_client.front(), client_session);
  }

  // Upstream request: the configured credentials, the protocol's headers,
  // nothing else of the client's.
  std::map<std::string, std::string> headers = up.headers;
  if (!up.credential.empty()) {
    auto secret = upstream_secret(up, api_token ? std::string_view() : std::string_view(bearer), cred_digest);
    if (!secret) {
      std::string why = "the upstream `" + name + "` needs the credential `" + up.credential +
                        "` from the broker: " + secret.error().message;
      std::string err;
      if (req.method == "POST") {
        LockedFor lock(*st, peer);
        err = st->gw->abandon(req.body, why);
      }
      if (err.empty()) return reply(client, 403, rpc_error(-32001, "Tollgate: " + why));
      return reply(client, 200, err, client_session);
    }
    headers[up.credential_header] = up.credential_prefix + *secret;
  }
  headers["Accept"] = req.method == "GET" ? "text/event-stream" : "application/json, text/event-stream";
  if (req.method == "POST") headers["Content-Type"] = "application/json";
  for (const char* h : {"mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id"}) {
    std::string v = header_of(req, h);
    if (!v.empty() && v.find_first_of("\r\n") == std::string::npos) headers[h] = v;
  }
  auto fail = [&](const std::string& why) {
    std::string err;
    if (req.method == "POST") {
      LockedFor lock(*st, peer);
      err = st->gw->abandon(req.body, "the upstream `" + name + "` failed: " + why);
    }
    return reply(client, 502,
                 err.empty() ? rpc_error(-32000, "Tollgate: the upstream `" + name + "` failed: " + why) : err);
  };
  // A connection of the upstream's pool, given back (or closed, when its
  // answer was not read to the end) once the exchange is over.
  struct UpstreamConn {
    McpHttpGateway* g;
    mcp::HttpPool* pool;
    std::unique_ptr<mcp::HttpConnection> c;
    ~UpstreamConn() {
      if (!c) return;
      g->track(c->fd(), false);  // before its descriptor can be closed and reused
      pool->put(std::move(c));
    }
  };
  const mcp::HttpPool::Track tracker = [this](int upstream_fd, bool on) { return track(upstream_fd, on); };
  if (req.method == "POST" && !first.to_client.empty()) {
    // A refused batch: its requests are answered here, and its
    // notifications and answers to the upstream's requests still go on.
    UpstreamConn rest{this, up.pool.get(), nullptr};
    if (up.pool->exchange("POST", headers, first.to_server.front(), rest.c, tracker)) (void)rest.c->read_body(1u << 20);
    return reply(client, 200, first.to_client.front(), client_session);
  }
  UpstreamConn conn{this, up.pool.get(), nullptr};
  auto h = up.pool->exchange(req.method, headers, req.method == "POST" ? first.to_server.front() : "", conn.c, tracker);
  if (!h) return fail(h.error().message);
  std::string upstream_session = h->header("mcp-session-id");
  // A session id is visible ASCII (the MCP transport spec); anything else
  // would reach the client's headers and logs (control bytes, escapes).
  if (upstream_session.size() > 1024 || std::any_of(upstream_session.begin(), upstream_session.end(), [](char ch) {
        return static_cast<unsigned char>(ch) < 0x21 || static_cast<unsigned char>(ch) > 0x7e;
      }))
    upstream_session.clear();
  if (!upstream_session.empty() && client_session.empty()) {
    // The upstream opened a session (initialize): later requests carry its
    // id. An id it gave another client already would merge the two
    // clients' sessions (their requests, their records): refused.
    bool reused = false;
    {
      std::lock_guard lock(mu_);
      auto [it, fresh] = states_.try_emplace(name + "|" + upstream_session + "|" + cred_digest, st);
      reused = !fresh && it->second != st;
      auto [owner, opened] = session_owner_.try_emplace(name + "|" + upstream_session, cred_digest);
      reused = reused || (!opened && owner->second != cred_digest);
      if (opened && session_owner_.size() > kMaxStates) session_owner_.erase(session_owner_.begin());
    }
    if (reused) {  // (the answer is not read: its connection is not kept)
      return fail("it gave this client a session id it had given another client already");
    }
  } else if (upstream_session.empty() && key != shared_key && h->status < 300) {
    // An upstream without sessions: the client's later requests carry no
    // id, and find the state its initialize negotiated.
    std::lock_guard lock(mu_);
    states_[shared_key] = st;
  }
  std::string type = h->header("content-type");
  if (h->status == 202 || h->status == 204) {
    if (req.method == "DELETE") {
      std::lock_guard lock(mu_);
      states_.erase(key);
      session_owner_.erase(name + "|" + client_session);
    }
    std::string unanswered;
    if (req.method == "POST") {  // requests get an answer, never only "accepted"
      LockedFor lock(*st, peer);
      unanswered = st->gw->abandon(req.body, "the upstream accepted this request without answering it");
    }
    if (!unanswered.empty()) return reply(client, 502, unanswered, upstream_session);
    return reply(client, h->status, "", upstream_session);
  }
  if (h->status >= 400 || req.method == "DELETE") {
    // The upstream's body is not passed on: what a client reads in it has
    // not been reviewed. Each request gets the gateway's own error instead.
    (void)conn.c->read_body(1u << 20);
    std::string why = "the upstream `" + name + "` answered " + std::to_string(h->status);
    std::string errors;
    if (req.method == "POST") {
      LockedFor lock(*st, peer);
      errors = st->gw->abandon(req.body, why);
    }
    // 401 would send the client to the upstream's authorization server:
    // the upstream's credentials are Tollgate's to fix, not the client's.
    int status = h->status == 401 || h->status == 403 ? 502 : h->status;
    return reply(client, status, errors.empty() ? rpc_error(-32000, "Tollgate: " + why) : errors, upstream_session);
  }
  // A refusal of one of the upstream's requests to the client (sampling,
  // elicitation, roots): the client never sees the request, so the gateway
  // answers it, POSTed as the client would.
  auto answer_upstream = [&](const std::string& line) {
    std::map<std::string, std::string> h2 = headers;
    for (const char* k : {"mcp-method", "mcp-name", "last-event-id", "Accept"}) h2.erase(k);
    h2["Accept"] = "application/json, text/event-stream";
    h2["Content-Type"] = "application/json";
    std::string sess = upstream_session.empty() ? client_session : upstream_session;
    if (!sess.empty()) h2["mcp-session-id"] = sess;
    UpstreamConn c2{this, up.pool.get(), nullptr};
    if (up.pool->exchange("POST", h2, line, c2.c, tracker)) (void)c2.c->read_body(1u << 20);
  };
  if (type.rfind("text/event-stream", 0) == 0) {
    // A stream ends with the connection.
    if (!write_all(fd, head(200, "text/event-stream", upstream_session, -1))) {
      if (req.method == "POST") {
        LockedFor lock(*st, peer);
        st->gw->end_exchange(req.body);
      }
      return false;
    }
    mcp::SseSplitter splitter;
    for (;;) {
      auto piece = conn.c->read_some();
      if (!piece) break;
      if (piece->empty()) break;
      // An upstream may keep a stream alive with comments alone: nothing is
      // written to the client, so its leaving is looked for here, or the
      // worker would stay with the upstream for as long as it liked.
      if (client_gone(fd)) break;
      std::vector<mcp::SseSplitter::Event> events;
      if (!splitter.feed(*piece, events)) break;
      bool written = true;
      for (auto& ev : events) {
        std::string out;
        // An event id goes back to the client (it resumes with it), so it
        // must not end the line early: a lone CR would, and what followed
        // it would be read as more of the stream, unreviewed.
        if (ev.id.size() > 256 || std::any_of(ev.id.begin(), ev.id.end(),
                                              [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
          ev.id.clear();
        // Several data lines are one message joined by LF: whitespace to JSON.
        std::replace(ev.data.begin(), ev.data.end(), '\n', ' ');
        mcp::Gateway::Output o2;
        if (!ev.data.empty()) {
          LockedFor lock(*st, peer);
          o2 = st->gw->from_server(ev.data);
        }
        if (o2.to_client.empty() && !ev.id.empty()) out += "id: " + ev.id + "\n\n";  // a priming event
        for (const auto& line : o2.to_client) {
          if (!ev.id.empty()) out += "id: " + ev.id + "\n";
          out += "event: message\ndata: " + line + "\n\n";
        }
        for (const auto& line : o2.to_server) answer_upstream(line);
        // Each event is written before the next is reviewed, and the outcome
        // of an answer among them is recorded once it has left.
        written = out.empty() || write_all(fd, out);
        LockedFor lock(*st, peer);
        st->gw->flush_outcomes();
        if (!written) break;
      }
      if (!written) break;
    }
    LockedFor lock(*st, peer);
    st->gw->flush_outcomes();
    if (req.method == "POST") st->gw->end_exchange(req.body);
    return false;
  }
  auto body = conn.c->read_body(kMaxUpstreamBody);
  if (!body) return fail(body.error().message);
  mcp::Gateway::Output o2;
  {
    LockedFor lock(*st, peer);
    o2 = st->gw->from_server(*body);
  }
  for (const auto& line : o2.to_server) answer_upstream(line);
  bool kept;
  if (o2.to_client.empty()) {
    // No answer for the client (something unreadable, or only a request of
    // the upstream's that was refused): its request is not waited on.
    std::string err;
    {
      LockedFor lock(*st, peer);
      err = st->gw->abandon(req.body, "the upstream `" + name + "` gave no answer to this request");
    }
    kept = reply(client, 502,
                 err.empty() ? rpc_error(-32000, "Tollgate: the upstream `" + name + "` gave no answer") : err);
  } else {
    kept = reply(client, 200, o2.to_client.front(), upstream_session);
  }
  // The outcome is recorded once the answer has left, not before.
  LockedFor lock(*st, peer);
  st->gw->flush_outcomes();
  st->gw->end_exchange(req.body);
  return kept;
}

}  // namespace tollgate::server
