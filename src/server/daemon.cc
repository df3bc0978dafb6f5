// Daemon: the data directory, the lock, the socket, the epoll loop and pack
// reloading around Service (server/daemon.h).
#include "server/daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "base/json.h"
#include "base/random.h"
#include "base/suggest.h"
#include "identity/identity.h"
#include "identity/keys.h"
#include "ledger/redact.h"
#include "policy/pack.h"
#include "server/http.h"
#include "server/mcp_http.h"
#include "server/protocol.h"

namespace tollgate::server {

namespace fs = std::filesystem;
using nlohmann::json;

Status load_config(const std::string& path, session::LabelTable& labels, pdp::Protected& prot,
                   std::vector<Credential>* credentials, detect::Config* detect) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = parse_json(ss.str(), path, 16);
  if (!j) return std::move(j).error();
  if (!j->is_object()) return Error(path + ": the configuration must be a JSON object");
  static const std::vector<std::string_view> known = {"labels", "protected_paths", "credentials", "detect"};
  for (const auto& [key, value] : j->items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string msg = path + ": unknown key `" + key + "`";
      if (auto s = nearest(key, known, [](std::string_view k) { return k; })) msg += "; did you mean `" + *s + "`?";
      return Error(msg);
    }
  }
  if (auto it = j->find("labels"); it != j->end()) {
    if (!it->is_array()) return Error(path + ": `labels` must be an array of rules");
    static const std::vector<std::string_view> rule_keys = {"pattern", "labels", "host", "exclude"};
    for (size_t n = 0; n < it->size(); ++n) {
      const json& r = (*it)[n];
      const std::string where =
          path + ": label rule " + std::to_string(n + 1) + " (`labels[" + std::to_string(n) + "]`)";
      if (!r.is_object()) return Error(where + " must be an object");
      for (const auto& [key, value] : r.items()) {
        if (std::find(rule_keys.begin(), rule_keys.end(), key) != rule_keys.end()) continue;
        std::string msg = where + ": unknown key `" + key + "`";
        if (auto sug = nearest(key, rule_keys, [](std::string_view k) { return k; }))
          msg += "; did you mean `" + *sug + "`?";
        return Error(msg);
      }
      if (!r.contains("pattern") || !r["pattern"].is_string() || !r.contains("labels") || !r["labels"].is_array())
        return Error(where + " needs a string `pattern` and an array `labels`");
      session::LabelRule rule;
      rule.pattern = r["pattern"].get<std::string>();
      for (const auto& l : r["labels"]) {
        if (!l.is_string()) return Error(where + ": labels must be strings");
        rule.labels.push_back(l.get<std::string>());
      }
      for (const char* flag : {"host", "exclude"}) {
        if (r.contains(flag) && !r[flag].is_boolean())
          return Error(where + ": `" + std::string(flag) + "` must be true or false");
      }
      rule.host = r.value("host", false);
      rule.exclude = r.value("exclude", false);
      labels.add(std::move(rule));
    }
  }
  if (auto it = j->find("protected_paths"); it != j->end()) {
    if (!it->is_array()) return Error(path + ": `protected_paths` must be an array of paths");
    for (const auto& p : *it) {
      if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>()[0] != '/')
        return Error(path + ": protected paths must be absolute");
      prot.paths.push_back(p.get<std::string>());
    }
  }
  if (auto it = j->find("credentials"); it != j->end()) {
    std::vector<Credential> parsed;
    if (auto st = parse_credentials(*it, path, parsed); !st) return st;
    if (credentials) *credentials = std::move(parsed);
  }
  if (auto it = j->find("detect"); it != j->end()) {
    auto parsed = detect::parse_config(*it, path);
    if (!parsed) return std::move(parsed).error();
    if (detect) *detect = std::move(*parsed);
  }
  return Status::Ok();
}

namespace {

struct Conn {
  int fd = -1;
  std::string in, out;
  size_t out_off = 0;
  int64_t deadline_ms = 0;
  uint64_t seq = 0;      // the order it was accepted in
  int64_t since_ms = 0;  // when it was accepted, or last had its request answered
  bool header_done = false;
  std::string header;
  size_t need = 0;
  bool http = false;        // a connection to the loopback HTTP API
  int peer_pid = 0;         // the client process (unix socket only)
  bool peer_clear = false;  // Service::Peer::clear_of_tollgate, learnt on this connection
  ConnPeer http_peer;       // an MCP client's kept HTTP connection: what its last request learned
  // The client asked to keep the connection ("keep": true in a header):
  // requests are answered in order and the connection stays open for more.
  bool keep = false;
  bool wait = true;     // the request being read: its sender waits for the answer ("wait": false: not)
  bool waited = false;  // `out` holds an answer someone waits for: it leaves after the commit
  bool held = false;    // its answers wait for this turn's commit
  std::string op;       // the request being read: its header's `op`
  // A request that may take long (a credential a command mints) is
  // answered on a thread of its own: header and payload, for that thread.
  bool offload = false;
  std::string offload_header, offload_payload;
};

// How long a kept connection may sit idle between requests. Its client
// reconnects when it needs the daemon again.
constexpr int64_t kKeptIdleMs = 10 * 60 * 1000;
// The same for an MCP client's HTTP connection between requests (its
// answers advertise a shorter `Keep-Alive: timeout`, mcp_http.cc, so the
// client stops using it before the daemon closes it).
constexpr int64_t kHttpKeptIdleMs = 35 * 1000;
// HTTP connections open at once (those a gateway worker holds are counted by
// the worker cap), and the unfinished input they may hold together.
constexpr ptrdiff_t kMaxHttpConns = 256;
constexpr size_t kMaxHttpBuffered = 64u << 20;
// Requests answered off the loop at once (Conn::offload).
constexpr size_t kMaxOffloaded = 16;

// Whether a request may be for the API itself: its `Host`, when it has one,
// names 127.0.0.1, localhost or [::1] (a browser sends the name it looked
// up, so a name rebound to this address is refused), and so does its
// `Origin`, when it has one (a page of another site posting a form). A
// client without either is no browser.
bool loopback_authority(const HttpRequest& r) {
  auto is_loopback = [](std::string_view authority) {
    if (size_t colon = authority.rfind(':');
        colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
      std::string_view port = authority.substr(colon + 1);
      if (port.empty() || port.size() > 5 ||
          !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return false;
      authority = authority.substr(0, colon);
    }
    std::string host(authority);
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  };
  if (auto host = r.headers.find("host"); host != r.headers.end() && !is_loopback(host->second)) return false;
  if (auto origin = r.headers.find("origin"); origin != r.headers.end()) {
    std::string_view o = origin->second;
    if (o.rfind("http://", 0) == 0)
      o.remove_prefix(7);
    else if (o.rfind("https://", 0) == 0)
      o.remove_prefix(8);
    else
      return false;  // `null` (a sandboxed page, a file) included
    if (!is_loopback(o)) return false;
  }
  return true;
}

// Whether process `pid` holds `cap` connections already (DaemonOptions::
// max_conns_per_process; the descriptor limit is the last line).
template <typename Conns>
bool peer_at_cap(const Conns& conns, int pid, int cap) {
  if (cap <= 0) return false;
  int n = 0;
  for (const auto& [fd, c] : conns)
    if (c.peer_pid == pid && ++n >= cap) return true;
  return false;
}

// How long records nobody waits for (posted outcomes) may stay uncommitted,
// so that they reach the disk with the next awaited record in one flush.
constexpr int64_t kDeferMs = 5;

// "127.0.0.1:PORT" or "[::1]:PORT" (loopback only: the API is for this machine).
Result<sockaddr_storage> loopback_address(const std::string& spec, socklen_t& len) {
  sockaddr_storage ss{};
  auto colon = spec.rfind(':');
  if (colon == std::string::npos) return Error("--http wants HOST:PORT, e.g. 127.0.0.1:8420");
  std::string host = spec.substr(0, colon), port_s = spec.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_s.c_str(), &end, 10);
  if (port_s.empty() || *end || port < 0 || port > 65535) return Error("--http: bad port `" + port_s + "`");
  if (host == "127.0.0.1" || host == "localhost") {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sockaddr_in);
  } else if (host == "[::1]" || host == "::1") {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    a->sin6_addr = in6addr_loopback;
    len = sizeof(sockaddr_in6);
  } else {
    return Error("--http listens on loopback only (127.0.0.1 or [::1]), not `" + host + "`");
  }
  return ss;
}

// A fresh random token for the HTTP API's state-changing routes, kept in a
// 0600 file next to the socket.
Result<std::string> make_token(const std::string& path) {
  std::string token = random_hex(32);
  if (token.empty()) return Error("the kernel gave no random bytes");
  int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0 || ::write(out, token.data(), token.size()) != static_cast<ssize_t>(token.size())) {
    if (out >= 0) ::close(out);
    return Error("cannot write `" + path + "`");
  }
  ::close(out);
  return token;
}

std::string home_dir() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (passwd* pw = getpwuid(getuid())) return pw->pw_dir;
  return "/";
}

std::string user_name() {
  if (passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return "uid" + std::to_string(getuid());
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

struct Daemon::Impl {
  int lock_fd = -1;
  int listen_fd = -1;
  int http_fd = -1;
  int http_port = 0;
  std::string http_token;
  int epoll_fd = -1;
  int stop_fd = -1;
  int wake_fd = -1;  // another thread waits for the loop's open batch to commit
  // MCP gateway workers hand a client's kept HTTP connection back to the
  // loop, which waits for its next request.
  int handoff_fd = -1;
  std::mutex handoff_mu;
  std::vector<std::pair<int, ConnPeer>> handoff;  // guarded by handoff_mu
  int signal_fd = -1;
  int spare_fd = -1;  // held in reserve for refusing clients when out of descriptors
  bool out_of_fds = false;
  bool http_capped = false;  // the HTTP connection cap was met (logged once until a connection is taken)
  uint64_t conn_seq = 0;     // counts connections accepted: their order
  int capped_pid = 0;        // the last process refused for holding too many connections (logged once)
  // Threads answering one request each off the loop (`cred_get`): joined
  // when done (looked at as the next starts) and at shutdown.
  struct Offloaded {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Offloaded> offloaded;
  sigset_t old_mask{};
  bool mask_set = false;
  std::unordered_map<int, Conn> conns;
  std::string pack_hash;     // of the active pack's files
  std::string refused_hash;  // of the last refused files (not reported twice)
  Error refused;             // why they were refused, for whoever asks again
  session::LabelTable labels;
  pdp::Protected prot;
  std::unique_ptr<McpHttpGateway> mcp_http;  // /mcp/<name> on the HTTP API (DATA/mcp.json)
  std::string mcp_config;                    // that file
  std::string mcp_hash;                      // of its content last taken ("" when absent)
  std::string mcp_refused_hash;              // of the last refused content (not reported twice)
  Status mcp_refused = Status::Ok();
  int mcp_loaded = 0;  // configurations that took effect

  // Checkpoints: signed on the loop, delivered by `courier` so a slow
  // destination never delays a decision. Those signed during a turn wait in
  // `unsent` until the turn's commit made their records durable.
  std::unique_ptr<Checkpointer> checkpointer;
  std::vector<ledger::Checkpoint> unsent;
  std::mutex courier_mu;
  std::condition_variable courier_cv;
  std::deque<ledger::Checkpoint> to_deliver;   // guarded by courier_mu
  std::vector<std::string> delivery_failures;  // guarded by courier_mu
  bool courier_stop = false;                   // guarded by courier_mu
  std::thread courier;

  void start_courier() {
    courier = std::thread([this] {
      std::unique_lock lock(courier_mu);
      for (;;) {
        courier_cv.wait(lock, [this] { return courier_stop || !to_deliver.empty(); });
        if (to_deliver.empty()) return;  // stopping, and everything was delivered
        ledger::Checkpoint c = std::move(to_deliver.front());
        to_deliver.pop_front();
        lock.unlock();
        auto problems = checkpointer->deliver(c);
        lock.lock();
        for (auto& p : problems)
          delivery_failures.push_back("checkpoint " + std::to_string(c.size) + " to " + std::move(p));
      }
    });
  }
  void send_checkpoints(std::vector<ledger::Checkpoint>& cs) {
    if (cs.empty()) return;
    {
      std::lock_guard lock(courier_mu);
      for (auto& c : cs) to_deliver.push_back(std::move(c));
    }
    cs.clear();
    courier_cv.notify_one();
  }

  ~Impl() {
    if (mcp_http) mcp_http->abort_all();
    for (auto& o : offloaded)
      if (o.thread.joinable()) o.thread.join();
    if (courier.joinable()) {
      {
        std::lock_guard lock(courier_mu);
        courier_stop = true;
      }
      courier_cv.notify_one();
      courier.join();
    }
    for (auto& [fd, c] : conns) ::close(fd);
    for (const auto& h : handoff) ::close(h.first);
    for (int fd : {listen_fd, http_fd, epoll_fd, stop_fd, wake_fd, handoff_fd, signal_fd, spare_fd})
      if (fd >= 0) ::close(fd);
    if (mask_set) pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    if (lock_fd >= 0) ::close(lock_fd);  // releases the lock
  }
};

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions opts) {
  if (opts.data_dir.empty()) opts.data_dir = default_data_dir();
  if (!opts.now) opts.now = system_now_ms;
  std::error_code ec;
  fs::create_directories(opts.data_dir, ec);
  if (ec) return Error("cannot create the data directory `" + opts.data_dir + "`: " + ec.message());
  opts.data_dir = fs::canonical(opts.data_dir, ec).string();
  ::chmod(opts.data_dir.c_str(), 0700);
  if (opts.policies_dir.empty()) opts.policies_dir = opts.data_dir + "/policies";
  if (opts.socket_path.empty()) opts.socket_path = opts.data_dir + "/tollgate.sock";
  if (opts.config_file.empty() && fs::exists(opts.data_dir + "/config.json"))
    opts.config_file = opts.data_dir + "/config.json";

  std::unique_ptr<Daemon> d(new Daemon(opts));
  d->impl_ = std::make_unique<Impl>();
  Impl& im = *d->impl_;

  // One daemon per data directory.
  std::string lock_path = opts.data_dir + "/tollgate.lock";
  im.lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (im.lock_fd < 0) return Error("cannot open `" + lock_path + "`: " + std::strerror(errno));
  if (::flock(im.lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(im.lock_fd, buf, sizeof(buf) - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Error("another `tollgate serve` (pid " + pid + ") is already using the data directory `" + opts.data_dir +
                 "`; stop it first, or give this one its own --data DIR");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(im.lock_fd, 0) != 0 || ::pwrite(im.lock_fd, pid.data(), pid.size(), 0) < 0)
    return Error("cannot write `" + lock_path + "`");

  auto store = store::Store::open_sqlite(opts.data_dir + "/tollgate.db");
  if (!store) return std::move(store).error();
  if (auto st = (*store)->set_durability(opts.durability); !st) return st.error();

  // Policies: seeded with the baseline on first start.
  if (!fs::exists(opts.policies_dir)) {
    if (auto st = policy::write_baseline_pack(opts.policies_dir); !st) return st.error();
  }
  auto pack = policy::load_pack(opts.policies_dir);
  if (!pack) return std::move(pack).error();
  im.pack_hash = (*pack)->hash;

  std::string home = home_dir();
  im.labels = session::LabelTable::defaults(home);
  // Tollgate's own files carry their own label, so policies and records can name them.
  for (const auto& p : {opts.data_dir, opts.policies_dir}) im.labels.add({p + "/**", {"tollgate"}, false, false});
  im.prot.paths = {opts.data_dir, opts.policies_dir};
  std::vector<Credential> credentials;
  detect::Config detect_config;
  if (!opts.config_file.empty()) {
    im.prot.paths.push_back(opts.config_file);
    if (auto st = load_config(opts.config_file, im.labels, im.prot, &credentials, &detect_config); !st)
      return st.error();
  }
  // A static credential's file is Tollgate's to hand out: an agent reads it
  // through the broker, never directly.
  for (const auto& cr : credentials) {
    if (cr.file.empty()) continue;
    im.labels.add({cr.file, {"secret", "tollgate"}, false, false});
    im.prot.paths.push_back(cr.file);
  }
  if (!opts.binary.empty()) im.prot.paths.push_back(opts.binary);
  // Where checkpoints are exported is evidence too (before the PDP takes
  // its copy of the protected paths).
  for (const auto& dir : opts.checkpoints.dirs) {
    if (!fs::is_directory(dir, ec)) return Error("checkpoint directory `" + dir + "` does not exist");
    // As decisions see paths: absolute, links resolved.
    auto canonical = fs::canonical(dir, ec);
    im.prot.paths.push_back(ec ? dir : canonical.string());
  }
  // The data directory holds the signing keys, the HTTP token, the sealed
  // secrets and the ledger; static credentials' files are the broker's.
  // No agent reads them, whatever its task grants.
  im.prot.unreadable = {opts.data_dir};
  for (const auto& cr : credentials)
    if (!cr.file.empty()) im.prot.unreadable.push_back(cr.file);
  im.prot.names = {"tollgate"};
  auto pdp = std::make_shared<const pdp::Pdp>(*pack, im.labels, im.prot);

  ServiceOptions so;
  so.home = home;
  so.user = user_name();
  so.host = host_name();
  so.now = opts.now;
  so.tokens = opts.tokens;
  so.credentials = std::move(credentials);
  so.detect = std::move(detect_config);
  if (auto st = identity::check_trust_domain(so.tokens.trust_domain); !st) return st.error();
  d->service_ = std::make_unique<Service>(std::move(*store), pdp, so);
  // The issuer's signing keys: DATA/keys (docs/tasks.md, "Signing keys and rotation").
  identity::KeySetOptions ko;
  ko.dir = opts.data_dir + "/keys";
  ko.rotate_every_s = opts.tokens.rotate_every_s;
  ko.skew_s = opts.tokens.skew_s;
  auto keys = identity::KeySet::open(ko, opts.now() / 1000);
  if (!keys) return Error("signing keys: " + keys.error().message);
  d->service_->set_keys(std::move(*keys));
  d->service_->set_reloader([raw = d.get()] { return raw->reload(); });

  // The secret store: DATA/secrets.json sealed under DATA/keys/secret-store.key.
  auto secrets = SecretStore::open(opts.data_dir + "/secrets.json", opts.data_dir + "/keys/secret-store.key");
  if (!secrets) return std::move(secrets).error();
  d->service_->set_secret_store(std::make_unique<SecretStore>(std::move(*secrets)));
  // Checkpoint keys: DATA/keys/ledger-keys.json (docs/ledger.md).
  auto ckeys = ledger::CheckpointKeys::open(opts.data_dir + "/keys", opts.now() / 1000);
  if (!ckeys) return Error("checkpoint keys: " + ckeys.error().message);
  im.checkpointer = std::make_unique<Checkpointer>(d->service_->store(), std::move(*ckeys), opts.checkpoints);
  d->service_->set_checkpoint_handler([&im, now = opts.now](const std::string& op) {
    auto error = [](const std::string& m) { return dump_json(json{{"ok", false}, {"error", m}}); };
    std::optional<ledger::Checkpoint> c;
    std::string rotated_to;
    if (op == "checkpoint_rotate") {
      auto r = im.checkpointer->maybe_rotate(now(), true, "on demand");
      if (!r) return error(r.error().message);
      c = std::move(**r);
      rotated_to = im.checkpointer->keys().active()->key_id;
    } else {
      auto r = im.checkpointer->checkpoint(now(), "on demand");
      if (!r) return error(r.error().message);
      c = std::move(*r);
    }
    json j = {{"ok", true},
              {"size", c->size},
              {"root", ledger::to_hex(c->root)},
              {"time", c->time},
              {"key", c->key_id},
              {"signature", c->signature},
              {"text", ledger::format_checkpoint(*c)},
              {"destinations", im.checkpointer->options().dirs.size() + im.checkpointer->options().commands.size()}};
    if (!rotated_to.empty()) j["active_key"] = rotated_to;
    im.unsent.push_back(std::move(*c));
    return dump_json(j);
  });

  // The socket: only this user may connect.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (opts.socket_path.size() >= sizeof(addr.sun_path))
    return Error("the socket path `" + opts.socket_path + "` is too long for a unix socket; use a shorter --data DIR");
  std::memcpy(addr.sun_path, opts.socket_path.c_str(), opts.socket_path.size() + 1);
  // A socket nobody answers on is stale and goes. One a daemon answers on
  // is another data directory's daemon (this one's lock is held): taking
  // its socket would put this daemon in front of its hooks.
  {
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) ::close(probe);
    if (live)
      return Error("a daemon is already serving `" + opts.socket_path +
                   "`; stop it first, or give this one another --socket");
  }
  ::unlink(opts.socket_path.c_str());
  im.listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  mode_t old = ::umask(0077);
  int rc = ::bind(im.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc != 0) return Error("cannot listen on `" + opts.socket_path + "`: " + std::strerror(errno));
  if (::listen(im.listen_fd, 1024) != 0)
    return Error("cannot listen on `" + opts.socket_path + "`: " + std::strerror(errno));

  if (!opts.http.empty()) {
    socklen_t len = 0;
    auto addr_or = loopback_address(opts.http, len);
    if (!addr_or) return std::move(addr_or).error();
    im.http_fd = ::socket(addr_or->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(im.http_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(im.http_fd, reinterpret_cast<sockaddr*>(&*addr_or), len) != 0 || ::listen(im.http_fd, 1024) != 0)
      return Error("cannot listen on " + opts.http + ": " + std::strerror(errno));
    sockaddr_storage bound{};
    socklen_t blen = sizeof(bound);
    ::getsockname(im.http_fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    im.http_port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                    : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    auto token = make_token(opts.data_dir + "/http.token");
    if (!token) return std::move(token).error();
    im.http_token = std::move(*token);
    // Remote MCP servers behind the gateway: /mcp/<name> (DATA/mcp.json,
    // reloaded with the policy pack).
    im.mcp_config = opts.mcp_config.empty() ? opts.data_dir + "/mcp.json" : opts.mcp_config;
    im.mcp_http = std::make_unique<McpHttpGateway>(*d->service_, std::vector<McpUpstream>{});
    if (auto st = d->reload_mcp(); !st) return std::move(st).error();
    // Without --issuer, tokens name the API's own URL, where discovery and JWKS are served.
    if (opts.tokens.issuer.empty())
      d->service_->set_issuer((addr_or->ss_family == AF_INET6 ? "http://[::1]:" : "http://127.0.0.1:") +
                              std::to_string(im.http_port));
  }

  // A peer that resets a connection makes the next write to it fail; it
  // must not end the daemon. OpenSSL writes with write(), not
  // send(MSG_NOSIGNAL), so SIGPIPE is ignored for the whole process (the
  // daemon's children get it back at its default: broker.cc, checkpoints.cc).
  ::signal(SIGPIPE, SIG_IGN);
  im.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  im.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  im.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  im.handoff_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (im.mcp_http) {
    im.mcp_http->set_give_back([&im](int fd, ConnPeer peer) {
      {
        std::lock_guard lock(im.handoff_mu);
        im.handoff.emplace_back(fd, peer);
      }
      uint64_t one = 1;
      (void)!::write(im.handoff_fd, &one, sizeof(one));
    });
  }
  im.spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, &im.old_mask);
  im.mask_set = true;
  im.signal_fd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  for (int fd : {im.listen_fd, im.stop_fd, im.wake_fd, im.handoff_fd, im.signal_fd, im.http_fd}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(im.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  // After the signal mask: the thread inherits it, so SIGTERM reaches the loop.
  im.start_courier();
  d->service_->store().set_wait_hook([fd = im.wake_fd] {
    uint64_t one = 1;
    (void)!::write(fd, &one, sizeof(one));
  });
  d->service_->set_pdp(pdp);  // records the pack in use
  return d;
}

Daemon::Daemon(DaemonOptions opts) : opts_(std::move(opts)) {}

int Daemon::http_port() const { return impl_ ? impl_->http_port : 0; }

Daemon::~Daemon() {
  if (service_) service_->store().set_wait_hook(nullptr);  // before the descriptor it writes to closes
  if (impl_ && impl_->listen_fd >= 0) ::unlink(opts_.socket_path.c_str());
}

void Daemon::stop() {
  uint64_t one = 1;
  if (impl_ && impl_->stop_fd >= 0) (void)!::write(impl_->stop_fd, &one, sizeof(one));
}

Status Daemon::reload_mcp() {
  Impl& im = *impl_;
  if (!im.mcp_http) return Status::Ok();
  std::error_code ec;
  std::string text;
  if (fs::exists(im.mcp_config, ec)) {
    // A file that cannot be read (out of descriptors, permissions) is not
    // an empty one: the upstreams in force stay.
    std::ifstream in(im.mcp_config, std::ios::binary);
    std::stringstream ss;
    if (in) ss << in.rdbuf();
    text = ss.str();
    std::error_code size_ec;
    auto size = fs::file_size(im.mcp_config, size_ec);
    if (!in || !fs::is_regular_file(im.mcp_config, ec) || size_ec || size != text.size())
      return Error("cannot read `" + im.mcp_config + "`");
  } else if (!opts_.mcp_config.empty()) {
    return Error("cannot read `" + im.mcp_config + "`");
  }
  std::string hash = text.empty() ? std::string() : policy::sha256_hex(text);
  if (hash == im.mcp_hash) return Status::Ok();
  // Refused already (the file watcher may have been first): the same answer.
  if (!hash.empty() && hash == im.mcp_refused_hash) return im.mcp_refused;
  std::vector<McpUpstream> ups;
  if (!text.empty()) {
    auto loaded = load_mcp_upstreams(im.mcp_config);
    Status st = loaded ? Status::Ok() : Status(std::move(loaded).error());
    for (size_t i = 0; st.ok() && i < loaded->size(); ++i) {
      const McpUpstream& u = (*loaded)[i];
      if (u.credential.empty()) continue;
      bool known = false;
      for (const auto& c : service_->options().credentials) known = known || c.name == u.credential;
      if (!known)
        st = Error(im.mcp_config + ": upstream `" + u.name + "`: no credential `" + u.credential +
                   "` is configured (the daemon's `credentials`)");
    }
    if (!st) {
      if (im.mcp_hash.empty() && im.mcp_loaded == 0) return st;  // at start: the daemon does not start
      std::cerr << "tollgate serve: " << st.error().message << "; the previous MCP upstreams stay\n";
      im.mcp_refused_hash = hash;  // logged once, until the file changes again
      im.mcp_refused = st;
      return st;
    }
    ups = std::move(*loaded);
  }
  std::vector<std::string> names;
  for (const auto& u : ups) names.push_back(u.name);
  im.mcp_http->set_upstreams(std::move(ups));
  im.mcp_hash = hash;
  im.mcp_refused_hash.clear();
  ++im.mcp_loaded;
  service_->record_mcp_config(im.mcp_config, hash, names);
  if (im.mcp_loaded > 1 || !names.empty())
    std::cerr << "tollgate serve: MCP upstreams from " << im.mcp_config << ": " << names.size() << "\n";
  return Status::Ok();
}

Status Daemon::reload() {
  Impl& im = *impl_;
  Status mcp = reload_mcp();
  auto files = policy::read_pack_files(opts_.policies_dir);
  if (!files) return files.error();
  std::string hash = policy::pack_hash(*files);
  if (hash == im.pack_hash) return mcp;
  // Refused already (the file watcher may have been first): the same answer,
  // without logging it again.
  if (hash == im.refused_hash) return im.refused;
  auto pack = policy::load_pack_files(std::move(*files), opts_.policies_dir);
  if (!pack) {
    im.refused_hash = hash;
    im.refused = pack.error();
    std::cerr << "tollgate serve: " << pack.error().message << "; the previous pack (" << im.pack_hash.substr(7, 12)
              << ") stays active\n";
    for (const auto& dg : pack.error().diagnostics) std::cerr << "  " << dg.str() << "\n";
    return pack.error();
  }
  im.pack_hash = hash;
  im.refused_hash.clear();
  service_->set_pdp(std::make_shared<const pdp::Pdp>(*pack, im.labels, im.prot));
  std::cerr << "tollgate serve: loaded policy pack " << (*pack)->short_hash() << " from " << opts_.policies_dir << "\n";
  return mcp;
}

int Daemon::run() {
  Impl& im = *impl_;
  if (im.http_fd >= 0)
    std::cerr << "tollgate serve: HTTP API on " << opts_.http.substr(0, opts_.http.rfind(':')) << ":" << im.http_port
              << " (token in " << opts_.data_dir << "/http.token)\n";
  if (auto head = service_->store().ledger_head()) {
    // A new ledger holds only this start's own record: nothing was recovered.
    if (head->first > 1)
      std::cerr << "tollgate serve: ledger recovered to its last complete record: " << head->first << " records, root "
                << head->second.substr(0, 16) << "…\n";
    else
      std::cerr << "tollgate serve: ledger started: " << head->first << " record, root " << head->second.substr(0, 16)
                << "…\n";
  }
  std::cerr << "tollgate serve: listening on " << opts_.socket_path << " (policy pack "
            << service_->pdp()->pack().short_hash() << ", data " << opts_.data_dir << ")\n";
  int64_t next_poll = opts_.now() + opts_.reload_poll_ms;
  epoll_event events[64];
  auto close_conn = [&](int fd) {
    ::epoll_ctl(im.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    im.conns.erase(fd);
  };
  auto try_write = [&](Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.fd = c.fd;
        ::epoll_ctl(im.epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
        return;
      } else {
        c.keep = false;
        break;
      }
    }
    if (!c.keep) return close_conn(c.fd);
    // Everything answered: the connection waits for the next request.
    c.out.clear();
    c.out_off = 0;
    c.held = false;
    c.waited = false;
    c.deadline_ms = opts_.now() + (c.header_done || !c.in.empty() ? opts_.read_timeout_ms : kKeptIdleMs);
    c.since_ms = opts_.now();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c.fd;
    ::epoll_ctl(im.epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
  };
  // Group commit: the records of every request handled in one turn of the
  // loop reach the disk with one fsync, and no awaited answer leaves before
  // that. A turn whose records nobody waits for (posts) leaves the batch
  // open for up to kDeferMs, so that the next awaited record's flush covers
  // them too.
  bool batching = false;
  int64_t defer_until = -1;   // while a batch is held open: when it must commit
  bool commit_asked = false;  // another thread waits for the open batch (Store::wait_durable)
  std::vector<int> held;      // connections whose answers wait for the commit
  auto send = [&](Conn& c) {
    if (batching && c.waited) {
      if (!c.held) held.push_back(c.fd);
      c.held = true;
    } else {
      try_write(c);
    }
  };
  // Answers a request on a thread of its own (Conn::offload): the
  // connection leaves the loop; the thread writes the answer once its
  // records are on disk, and closes it.
  auto offload = [&](Conn& c) {
    for (auto it = im.offloaded.begin(); it != im.offloaded.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = im.offloaded.erase(it);
    }
    c.offload = false;
    if (im.offloaded.size() >= kMaxOffloaded) {
      // So many at once: refused, not run on the loop (a mint may take
      // minutes, and every hook would wait for it).
      c.out +=
          dump_json(json{{"ok", false}, {"error", "too many credential requests are being answered at once; retry"}}) +
          "\n";
      return send(c);
    }
    const int fd = c.fd, peer = c.peer_pid;
    std::string header = std::move(c.offload_header), payload = std::move(c.offload_payload);
    ::epoll_ctl(im.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    im.conns.erase(fd);
    auto done = std::make_shared<std::atomic<bool>>(false);
    Service* svc = service_.get();
    std::thread t([svc, fd, peer, done, header = std::move(header), payload = std::move(payload)] {
      std::string reply = svc->handle(header, payload, peer);
      // What was issued is on disk before the secret leaves; if it is not,
      // nothing was issued: the lease is revoked (a command's revoke runs).
      if (auto durable = svc->store().wait_durable(); !durable) {
        auto issued = parse_json(reply, "answer", 4);
        if (issued && issued->is_object() && issued->contains("lease") && (*issued)["lease"].is_string())
          svc->withdraw_lease((*issued)["lease"].get<std::string>(), "the issue could not be recorded");
        reply = dump_json(
            json{{"ok", false},
                 {"error", "the issue could not be recorded (" + durable.error().message + "); nothing was issued"}});
      }
      reply += "\n";
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval limit{10, 0};  // a client that does not read its answer does not hold the thread
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      for (size_t off = 0; off < reply.size();) {
        ssize_t n = ::send(fd, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(fd);
      done->store(true);
    });
    im.offloaded.push_back({std::move(t), std::move(done)});
  };
  // Answers every complete request buffered on a unix connection, in order,
  // appending to c.out. False once the connection takes no more requests.
  auto serve_buffered = [&](Conn& c) {
    for (;;) {
      if (!c.header_done) {
        auto nl = c.in.find('\n');
        if (nl == std::string::npos) {
          if (c.in.size() <= kMaxHeaderBytes) return true;
          c.waited = true;
          c.out += dump_json(json{{"ok", false}, {"error", "request header too long"}}) + "\n";
          c.keep = false;
          return false;
        }
        c.header = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        c.header_done = true;
        c.deadline_ms = opts_.now() + opts_.read_timeout_ms;
        auto h = parse_json(c.header, "request header", 4);
        if (!h || !h->is_object()) {
          c.waited = true;
          c.out += service_->handle(c.header, "", c.peer_pid) + "\n";
          c.keep = false;
          return false;
        }
        auto k = h->find("keep");
        c.keep = k != h->end() && k->is_boolean() && k->get<bool>();
        auto op = h->find("op");
        c.op = op != h->end() && op->is_string() ? op->get<std::string>() : std::string();
        auto w = h->find("wait");
        c.wait = w == h->end() || !w->is_boolean() || w->get<bool>();
        // The header is the peer's: `bytes` of another type is refused, not
        // converted (a conversion that throws here would stop the daemon).
        auto b = h->find("bytes");
        if (b != h->end() && !b->is_number_integer()) {
          c.waited = true;
          c.out += dump_json(json{{"ok", false}, {"error", "request header: `bytes` must be an integer"}}) + "\n";
          c.keep = false;
          return false;
        }
        int64_t bytes =
            b == h->end() ? 0
            : b->is_number_unsigned()
                ? static_cast<int64_t>(std::min<uint64_t>(b->get<uint64_t>(), uint64_t{kMaxPayloadBytes} + 1))
                : b->get<int64_t>();
        if (bytes < 0 || static_cast<size_t>(bytes) > kMaxPayloadBytes) {
          c.waited = true;
          c.out += dump_json(json{{"ok", true},
                                  {"verdict", "deny"},
                                  {"kind", "other"},
                                  {"event", ""},
                                  {"reason", "the hook event is larger than 16 MiB; Tollgate denies it"}}) +
                   "\n";
          c.keep = false;
          return false;
        }
        c.need = static_cast<size_t>(bytes);
      }
      if (c.in.size() < c.need) return true;
      std::string payload = c.in.substr(0, c.need);
      c.in.erase(0, c.need);
      c.header_done = false;
      // A credential's mint command may run for up to its timeout: the
      // request is answered on a thread of its own, so that hooks are not
      // held up (one request on its connection, nothing before it unsent).
      if (c.op == "cred_get") {
        // Never on the loop: alone on its connection, or refused.
        c.waited = true;
        c.keep = false;
        if (!c.in.empty() || !c.out.empty()) {
          c.out +=
              dump_json(json{{"ok", false},
                             {"error", "cred_get must be the only request on its connection; nothing was issued"}}) +
              "\n";
          return false;
        }
        c.offload = true;
        c.offload_header = c.header;
        c.offload_payload = std::move(payload);
        return false;
      }
      Service::Peer peer{c.peer_pid, c.peer_clear};
      c.out += service_->handle(c.header, payload, peer) + "\n";
      c.peer_clear = peer.clear_of_tollgate;
      c.waited = c.waited || c.wait;
      if (!c.keep) return false;
    }
  };
  auto respond_http = [&](Conn& c, int status, const std::string& body) {
    c.out = http_response(status, body);
    c.waited = true;
    c.in.clear();
    send(c);
  };
  // The loopback HTTP API: health, status, OIDC discovery and JWKS for
  // anyone on this machine; hook decisions, reloads and token introspection
  // for holders of DATA/http.token.
  auto route_http = [&](Conn& c, const HttpRequest& r) {
    auto err = [](std::string_view m) { return dump_json(json{{"ok", false}, {"error", m}}); };
    // A web page the developer has open can reach 127.0.0.1 too: through a
    // name it rebinds to this address (its own name in `Host`), or by
    // posting a form across sites (its `Origin`). The API answers only
    // requests addressed to a loopback name, from no page or a loopback one.
    if (!loopback_authority(r))
      return respond_http(c, 403,
                          err("Tollgate's HTTP API answers only requests for 127.0.0.1, localhost or [::1], "
                              "from no other web origin"));
    bool authorized = false;
    if (auto it = r.headers.find("authorization"); it != r.headers.end())
      authorized = it->second == "Bearer " + im.http_token;
    if (r.target == "/healthz") {
      if (r.method != "GET") return respond_http(c, 405, err("use GET"));
      return respond_http(c, 200, R"({"ok":true})");
    }
    if (r.target == "/v1/status") {
      if (r.method != "GET") return respond_http(c, 405, err("use GET"));
      return respond_http(c, 200, service_->handle(R"({"op":"status"})", ""));
    }
    if (r.target == "/.well-known/openid-configuration" || r.target == "/.well-known/jwks.json") {
      if (r.method != "GET") return respond_http(c, 405, err("use GET"));
      return respond_http(c, 200,
                          r.target == "/.well-known/jwks.json" ? service_->jwks() : service_->openid_configuration());
    }
    if (r.target == "/introspect") {
      // RFC 7662 §2.1: the caller authenticates (the API's bearer token), or
      // anyone could probe which tokens are live.
      if (r.method != "POST") return respond_http(c, 405, err("use POST"));
      if (!authorized) return respond_http(c, 401, err("send `Authorization: Bearer <DATA/http.token>`"));
      std::map<std::string, std::string> form;
      auto type = r.headers.find("content-type");
      if (type == r.headers.end() || type->second.rfind("application/x-www-form-urlencoded", 0) != 0)
        return respond_http(c, 400,
                            err("send the token form-encoded: Content-Type: application/x-www-form-urlencoded"));
      if (!parse_form(r.body, form) || !form.count("token"))
        return respond_http(c, 400, err("the body must be `token=…` (application/x-www-form-urlencoded)"));
      return respond_http(c, 200, service_->introspect(form["token"]));
    }
    if (r.target == "/token") {
      // RFC 8693 token exchange: the subject token (a task token)
      // authenticates the caller; policy decides (`cred.request`).
      if (r.method != "POST") return respond_http(c, 405, err("use POST"));
      std::map<std::string, std::string> form;
      auto type = r.headers.find("content-type");
      if (type == r.headers.end() || type->second.rfind("application/x-www-form-urlencoded", 0) != 0 ||
          !parse_form(r.body, form))
        return respond_http(c, 400,
                            dump_json(json{{"error", "invalid_request"},
                                           {"error_description",
                                            "send the request form-encoded (application/x-www-form-urlencoded), "
                                            "each parameter once"}}));
      auto [status, body] = service_->token_exchange(form);
      return respond_http(c, status, body);
    }
    if (r.target.rfind("/v1/hook/", 0) == 0 || r.target == "/v1/reload") {
      if (r.method != "POST") return respond_http(c, 405, err("use POST"));
      if (!authorized) return respond_http(c, 401, err("send `Authorization: Bearer <DATA/http.token>`"));
      if (r.target == "/v1/reload") return respond_http(c, 200, service_->handle(R"({"op":"reload"})", ""));
      std::string harness = r.target.substr(9);
      json h = {{"v", 1}, {"op", "hook"}, {"harness", harness}, {"bytes", r.body.size()}};
      return respond_http(c, 200, service_->handle(dump_json(h), r.body));
    }
    if (r.target.rfind("/mcp/", 0) == 0) {
      std::string name = r.target.substr(5);
      if (auto q = name.find('?'); q != std::string::npos) name = name.substr(0, q);
      if (!im.mcp_http || !im.mcp_http->has(name))
        return respond_http(c, 404, err("no MCP upstream `" + name + "` (DATA/mcp.json)"));
      if (r.method != "POST" && r.method != "GET" && r.method != "DELETE")
        return respond_http(c, 405, err("use POST, GET or DELETE"));
      // The API token, or a task token (which binds the session to its task).
      auto auth = r.headers.find("authorization");
      if (auth == r.headers.end() || auth->second.rfind("Bearer ", 0) != 0 || auth->second.size() <= 7)
        return respond_http(c, 401, err("send `Authorization: Bearer <DATA/http.token or a task token>`"));
      int fd = c.fd;
      ::epoll_ctl(im.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      // A connection may carry the next request only when nothing more
      // than this one came in on it (no pipelining).
      if (im.mcp_http->dispatch(fd, r, name, authorized, c.in.size() == r.bytes, c.http_peer)) {
        im.conns.erase(fd);  // the worker owns the socket now
        return;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      ::epoll_ctl(im.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
      return respond_http(c, 503, err("every MCP gateway worker is busy; retry"));
    }
    return respond_http(c, 404,
                        err("no such route; try /healthz, /mcp/<name>, /v1/status, /v1/hook/<harness>, /v1/reload, "
                            "/.well-known/openid-configuration, /.well-known/jwks.json, /introspect, /token"));
  };
  // Reads what is available; answers once a whole request is in.
  auto on_readable = [&](Conn& c) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0 && c.http) {
        c.in.append(buf, static_cast<size_t>(n));
        // Bodies are read whole before a route checks who sent them: what
        // all HTTP clients may have in flight at once is bounded.
        size_t buffered = 0;
        for (const auto& [cfd, other] : im.conns)
          if (other.http) buffered += other.in.size();
        if (buffered > kMaxHttpBuffered)
          return respond_http(c, 503,
                              dump_json(json{{"ok", false},
                                             {"error",
                                              "the daemon holds as much unfinished HTTP input as it "
                                              "may; retry"}}));
        HttpRequest req;
        int status = 0;
        std::string why;
        switch (parse_http_request(c.in, req, status, why)) {
          case HttpParse::Incomplete: continue;
          case HttpParse::Bad: return respond_http(c, status, dump_json(json{{"ok", false}, {"error", why}}));
          case HttpParse::Complete: return route_http(c, req);
        }
      } else if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (!serve_buffered(c)) {
          if (c.offload) return offload(c);
          c.in.clear();
          c.in.shrink_to_fit();
          return send(c);
        }
      } else if (n == 0) {
        if (!c.out.empty()) {
          // A kept connection whose client is done sending: its answers
          // still go out (and its records still commit), then it closes.
          c.keep = false;
          return send(c);
        }
        // The client hung up early: whatever arrived is handled (it is
        // malformed), so the record shows it, but nobody reads the answer.
        if (c.header_done) (void)service_->handle(c.header, c.in);
        return close_conn(c.fd);
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN) {
        if (!c.out.empty()) send(c);
        return;
      } else {
        return close_conn(c.fd);
      }
    }
  };

  bool running = true;
  while (running) {
    int64_t now = opts_.now();
    int64_t wait = std::max<int64_t>(0, next_poll - now);
    for (auto& [fd, c] : im.conns) wait = std::min(wait, std::max<int64_t>(0, c.deadline_ms - now));
    if (defer_until >= 0) wait = std::min(wait, std::max<int64_t>(0, defer_until - now));
    int n = ::epoll_wait(im.epoll_fd, events, 64, static_cast<int>(std::min<int64_t>(wait, 1000)));
    if (n < 0 && errno != EINTR) {
      std::cerr << "tollgate serve: epoll_wait: " << std::strerror(errno) << "\n";
      if (batching) (void)service_->store().commit_batch();  // records held back (posts) are kept
      return 1;
    }
    if (!batching) batching = n > 0 && service_->store().begin_batch().ok();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == im.wake_fd) {
        uint64_t count = 0;
        (void)!::read(im.wake_fd, &count, sizeof(count));
        commit_asked = true;
      } else if (fd == im.handoff_fd) {
        uint64_t count = 0;
        (void)!::read(im.handoff_fd, &count, sizeof(count));
        std::vector<std::pair<int, ConnPeer>> back;
        {
          std::lock_guard lock(im.handoff_mu);
          back.swap(im.handoff);
        }
        for (const auto& [cfd, peer] : back) {
          ::fcntl(cfd, F_SETFL, ::fcntl(cfd, F_GETFL) | O_NONBLOCK);
          Conn c;
          c.fd = cfd;
          c.http = true;
          c.http_peer = peer;
          c.deadline_ms = opts_.now() + kHttpKeptIdleMs;
          c.since_ms = opts_.now();
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.fd = cfd;
          ::epoll_ctl(im.epoll_fd, EPOLL_CTL_ADD, cfd, &ev);
          im.conns.emplace(cfd, std::move(c));
        }
      } else if (fd == im.stop_fd) {
        running = false;
      } else if (fd == im.signal_fd) {
        signalfd_siginfo si{};
        while (::read(im.signal_fd, &si, sizeof(si)) == sizeof(si)) {
          if (si.ssi_signo == SIGHUP) {
            (void)reload();
          } else {
            running = false;
          }
        }
      } else if (fd == im.listen_fd || fd == im.http_fd) {
        for (;;) {
          int cfd = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (cfd < 0 && (errno == EMFILE || errno == ENFILE) && im.spare_fd >= 0) {
            // Out of descriptors (a client holding many connections): the
            // waiting client is taken with the spare descriptor and closed at
            // once, so it fails closed now instead of waiting in the backlog
            // while the listening socket stays readable and the loop spins.
            ::close(im.spare_fd);
            int x = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (x >= 0) ::close(x);
            im.spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (!im.out_of_fds)
              std::cerr << "tollgate serve: out of file descriptors; new connections are refused until some close\n";
            im.out_of_fds = true;
            if (x < 0) break;
            continue;
          }
          if (cfd < 0) break;
          im.out_of_fds = false;
          Conn c;
          c.fd = cfd;
          c.seq = ++im.conn_seq;
          c.http = fd == im.http_fd;
          static const std::string kBusy =
              http_response(503, R"({"ok":false,"error":"too many connections to the HTTP API; retry"})");
          if (c.http && std::count_if(im.conns.begin(), im.conns.end(), [](const auto& x) { return x.second.http; }) >=
                            kMaxHttpConns) {
            // Anyone on the machine may connect to the HTTP port: its
            // connections are capped, so that they cannot take the
            // descriptors the hooks' socket needs. At the cap, the one
            // whose request has been coming longest, or that has sat idle
            // longest, makes room (nothing owed to it): a client that holds
            // connections open cannot lock the others out.
            int victim = -1;
            std::pair<int64_t, uint64_t> oldest{std::numeric_limits<int64_t>::max(), 0};
            for (const auto& [vfd, v] : im.conns)
              if (v.http && v.out.empty() && !v.waited && !v.offload && std::pair{v.since_ms, v.seq} < oldest) {
                oldest = {v.since_ms, v.seq};
                victim = vfd;
              }
            if (!im.http_capped)
              std::cerr << "tollgate serve: " << kMaxHttpConns
                        << " HTTP connections are open; the oldest waiting ones make room\n";
            im.http_capped = true;
            if (victim < 0) {
              (void)!::send(cfd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL);
              ::close(cfd);
              continue;
            }
            (void)!::send(victim, kBusy.data(), kBusy.size(), MSG_NOSIGNAL);
            close_conn(victim);
          } else if (c.http) {
            im.http_capped = false;
          }
          if (!c.http) {
            ucred cred{};
            socklen_t len = sizeof cred;
            if (::getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) c.peer_pid = cred.pid;
            if (c.peer_pid > 0 && peer_at_cap(im.conns, c.peer_pid, opts_.max_conns_per_process)) {
              static constexpr std::string_view kRefused =
                  "{\"ok\":false,\"error\":\"Tollgate: this process already holds as many connections to the "
                  "daemon as one process may\"}\n";
              (void)!::write(cfd, kRefused.data(), kRefused.size());
              ::close(cfd);
              if (im.capped_pid != c.peer_pid)
                std::cerr << "tollgate serve: process " << c.peer_pid << " holds " << opts_.max_conns_per_process
                          << " connections; more are refused\n";
              im.capped_pid = c.peer_pid;
              continue;
            }
          }
          c.deadline_ms = opts_.now() + opts_.read_timeout_ms;
          c.since_ms = opts_.now();
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.fd = cfd;
          ::epoll_ctl(im.epoll_fd, EPOLL_CTL_ADD, cfd, &ev);
          im.conns.emplace(cfd, std::move(c));
        }
      } else {
        auto it = im.conns.find(fd);
        if (it == im.conns.end()) continue;
        if (!it->second.out.empty()) {
          try_write(it->second);
        } else {
          on_readable(it->second);
        }
      }
    }
    bool committed = true;
    if (batching) {
      // Only records nobody waits for: the batch stays open a little.
      now = opts_.now();
      if (held.empty() && !commit_asked && running && service_->store().batch_has_writes() &&
          (defer_until < 0 || now < defer_until)) {
        if (defer_until < 0) defer_until = now + kDeferMs;
        continue;
      }
      batching = false;
      defer_until = -1;
      commit_asked = false;
      if (auto st = service_->store().commit_batch(); !st) {
        committed = false;
        // Nothing of this turn was recorded: no answer may say otherwise.
        std::cerr << "tollgate serve: " << st.error().message << "\n";
        for (int fd : held) {
          auto it = im.conns.find(fd);
          if (it == im.conns.end() || it->second.http) continue;
          it->second.keep = false;  // one error stands for every answer it held
          it->second.out =
              dump_json(json{{"ok", false}, {"error", "the record could not be written: " + st.error().message}}) +
              "\n";
        }
      }
      for (int fd : held) {
        auto it = im.conns.find(fd);
        if (it != im.conns.end()) try_write(it->second);
      }
      held.clear();
    }
    // Checkpoints asked for during the turn leave once their records are on
    // disk; then the schedule (outside a batch: its record commits itself).
    if (!committed) im.unsent.clear();
    now = opts_.now();
    if (auto r = im.checkpointer->maybe_rotate(now, false, "schedule"); !r) {
      std::cerr << "tollgate serve: checkpoint key rotation: " << r.error().message << "\n";
    } else if (*r) {
      im.unsent.push_back(std::move(**r));
    }
    if (im.checkpointer->due(now)) {
      if (auto c = im.checkpointer->checkpoint(now, "schedule"))
        im.unsent.push_back(std::move(*c));
      else
        std::cerr << "tollgate serve: checkpoint: " << c.error().message << "\n";
    }
    im.send_checkpoints(im.unsent);
    // Clients that sent nothing (or too little) in time are dropped.
    std::vector<int> expired;
    for (auto& [fd, c] : im.conns)
      if (c.deadline_ms <= now) expired.push_back(fd);
    for (int fd : expired) close_conn(fd);
    if (now >= next_poll) {
      std::vector<std::string> failures;
      {
        std::lock_guard lock(im.courier_mu);
        failures.swap(im.delivery_failures);
      }
      for (const auto& f : failures) {
        std::cerr << "tollgate serve: " << f << "\n";
        store::Event e;
        e.ts_ms = now;
        e.kind = "checkpoint_delivery";
        e.effect = "failure";
        e.record =
            ledger::redact_json(dump_json(json{{"type", "checkpoint_delivery"}, {"problem", f}, {"ts", now}})).text;
        (void)service_->store().append_event(e);
      }
      (void)reload();
      service_->tick();  // scheduled key rotation
      next_poll = now + opts_.reload_poll_ms;
    }
  }
  std::cerr << "tollgate serve: shutting down\n";
  if (im.mcp_http) im.mcp_http->abort_all();
  for (auto& o : im.offloaded) o.thread.join();
  im.offloaded.clear();
  for (auto it = im.conns.begin(); it != im.conns.end();) {
    ::close(it->first);
    it = im.conns.erase(it);
  }
  return 0;
}

}  // namespace tollgate::server
