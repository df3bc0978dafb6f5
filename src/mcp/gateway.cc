// The MCP gateway's protocol logic (mcp/gateway.h).
#include "mcp/gateway.h"

#include <algorithm>
#include <optional>

#include "action/action.h"
#include "base/json.h"
#include "policy/pack.h"

namespace tollgate::mcp {

using nlohmann::json;

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kSummaryBytes = 512;
constexpr int kDeniedCode = -32001;  // server-defined range: Tollgate refused the request
constexpr int kGatewayCode = -32000;

std::string error_reply(const json& id, int code, std::string_view message) {
  return dump_json(json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

std::string id_key(const json& id) { return dump_json(id); }

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer() || id.is_number_unsigned(); }

constexpr const char* kMetaVersion = "io.modelcontextprotocol/protocolVersion";

// Answers the gateway must read whole: the tool list it filters, and the
// server's identity (instructions) it pins.
bool needs_review(std::string_view method) {
  return method == "tools/list" || method == "initialize" || method == "server/discover";
}

// Requests decided one by one, each with an outcome on the record.
bool is_decided_call(std::string_view method) {
  return method == "tools/call" || method == "resources/read" || method == "prompts/get";
}

// Batches are JSON-RPC 2.0, allowed by MCP up to 2025-03-26 and removed after.
// A member of the protocol's own structure spelled in another case
// (`Method`, `Arguments`, `deſcription`) in a message, its params, result
// or error, or a listed tool: a peer that matches member names without
// case (Go's encoding/json) reads it as the member, Tollgate would not.
// Returns the name, or empty.
std::string miscased_member(const json& m) {
  static const std::set<std::string> known = {"jsonrpc",       "id",          "method",       "params",
                                              "result",        "error",       "name",         "arguments",
                                              "uri",           "_meta",       "cursor",       "nextCursor",
                                              "tools",         "description", "inputSchema",  "outputSchema",
                                              "annotations",   "title",       "instructions", "protocolVersion",
                                              "capabilities",  "serverInfo",  "clientInfo",   "resultType",
                                              "inputRequests", "content",     "isError",      "structuredContent",
                                              "code",          "message",     "data",         "requestId",
                                              "progressToken", "progress",    "total",        "reason",
                                              "level",         "logger",      "mode",         "url",
                                              "messages",      "maxTokens",   "task",         "icons",
                                              "contents",      "resources",   "prompts",      "version"};
  static const std::set<std::string> folded = [] {
    std::set<std::string> f;
    for (const auto& k : known) f.insert(fold_member_name(k));
    return f;
  }();
  auto check = [&](const json& o) -> std::string {
    if (!o.is_object()) return {};
    for (const auto& [k, v] : o.items())
      if (!known.count(k) && folded.count(fold_member_name(k))) return k;
    return {};
  };
  if (std::string k = check(m); !k.empty()) return k;
  if (!m.is_object()) return {};
  for (const char* part : {"params", "result", "error"}) {
    auto it = m.find(part);
    if (it == m.end() || !it->is_object()) continue;
    if (std::string k = check(*it); !k.empty()) return k;
    if (auto tools = it->find("tools"); tools != it->end() && tools->is_array()) {
      for (const auto& tool : *tools)
        if (std::string k = check(tool); !k.empty()) return k;
    }
    // The requests a result asks the client to answer (stateless era):
    // each is decided by its method and params like a server request.
    if (auto inputs = it->find("inputRequests"); inputs != it->end() && inputs->is_object()) {
      for (const auto& [name, request] : inputs->items()) {
        if (std::string k = check(request); !k.empty()) return k;
        if (request.is_object())
          if (auto ps = request.find("params"); ps != request.end())
            if (std::string k = check(*ps); !k.empty()) return k;
      }
    }
  }
  return {};
}

// A method as a lenient peer may take it: ASCII letters lowered, and
// everything but letters, digits and `/_-.` dropped (blanks, no-break
// spaces, a byte-order mark, format characters a `trim()` removes).
std::string fold_method(std::string_view method) {
  std::string out;
  for (char ch : method) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '/' || c == '_' || c == '-' || c == '.') out += static_cast<char>(std::tolower(c));
  }
  return out;
}

bool batches_allowed(std::string_view version) { return !version.empty() && version <= "2025-03-26"; }

// A bounded excerpt of a tool result's text content, for the record.
std::string result_summary(const json& result) {
  std::string out;
  if (auto c = result.find("content"); c != result.end() && c->is_array()) {
    for (const auto& part : *c) {
      if (!part.is_object()) continue;
      auto t = part.find("text");
      if (t != part.end() && t->is_string()) out += t->get_ref<const std::string&>() + " ";
      if (out.size() >= kSummaryBytes) break;
    }
  }
  if (out.size() > kSummaryBytes) out.resize(kSummaryBytes);
  return out;
}

// At most `n` bytes of `s`, not cut inside a UTF-8 sequence.
std::string utf8_prefix(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// What of a server's request a policy sees: its plain top-level parameters
// (strings, numbers, booleans), not the messages, schemas or _meta.
json server_request_arguments(const json& params) {
  json args = json::object();
  if (!params.is_object()) return args;
  for (const auto& [k, v] : params.items()) {
    if (k == "_meta" || args.size() >= 32) continue;
    if (v.is_string())
      args[k] = utf8_prefix(v.get_ref<const std::string&>(), 4096);
    else if (v.is_number() || v.is_boolean())
      args[k] = v;
  }
  return args;
}

constexpr size_t kMaxInputRequests = 32;
const json kNoParams = json::object();
constexpr size_t kMaxSubscriptions = 64;
// Cancelled request ids one gateway state remembers (refused if reused).
constexpr size_t kMaxCancelled = 4096;
// Resources one gateway state remembers as watched; beyond it a new
// subscription is refused.
constexpr size_t kMaxWatched = 4096;

}  // namespace

Gateway::Gateway(GatewayOptions opts, Decider decider, Poster poster)
    : opts_(std::move(opts)), decider_(std::move(decider)), poster_(std::move(poster)) {}

std::string Gateway::header(std::string_view kind, size_t bytes) const {
  json h = {{"v", 1},           {"op", "mcp"},   {"kind", kind}, {"server", opts_.server}, {"session", opts_.session},
            {"cwd", opts_.cwd}, {"bytes", bytes}};
  if (!opts_.task_token.empty()) h["task_token"] = opts_.task_token;
  if (!opts_.agent.empty()) h["agent"] = opts_.agent;
  return dump_json(h);
}

Result<std::string> Gateway::ask(std::string_view kind, std::string_view payload) {
  return decider_(header(kind, payload.size()), payload);
}

void Gateway::record_event(std::string_view event, std::string_view detail, size_t bytes) {
  (void)ask("event", dump_json(json{{"event", event}, {"detail", detail}, {"bytes", bytes}}));
}

Gateway::Output Gateway::oversized(bool from_client, size_t bytes) {
  Output out;
  std::string what = std::string(from_client ? "the client" : "the server") + " sent a message of more than " +
                     std::to_string(opts_.max_message_bytes) + " bytes; it was dropped";
  record_event("oversized", what, bytes);
  if (from_client) out.to_client.push_back(error_reply(nullptr, -32600, "Tollgate: " + what));
  return out;
}

Gateway::Output Gateway::from_client(std::string_view line) {
  // An exception inside is the gateway's own fault: the line is refused (a
  // client's gets an error), and the gateway goes on.
  try {
    return without_carriage_returns(client_line(line));
  } catch (const std::exception& e) {
    record_event("internal-error", std::string("on a client line: ") + e.what(), line.size());
    Output out;
    out.to_client.push_back(error_reply(nullptr, -32603, "Tollgate could not handle this message"));
    return out;
  }
}

Gateway::Output Gateway::from_server(std::string_view line) {
  try {
    return without_carriage_returns(server_line(line));
  } catch (const std::exception& e) {
    record_event("internal-error", std::string("on a server line: ") + e.what(), line.size());
    return {};
  }
}

Gateway::Output Gateway::without_carriage_returns(Output out) {
  // Some peers end a line at a lone CR (C#'s ReadLine; SSE): outside JSON
  // strings a CR is only whitespace, and inside them it must be escaped, so
  // a space in its place changes nothing for a JSON reader and smuggles no
  // second line past the gateway.
  for (auto* lines : {&out.to_client, &out.to_server})
    for (auto& l : *lines) std::replace(l.begin(), l.end(), '\r', ' ');
  return out;
}

Gateway::Output Gateway::client_line(std::string_view line) {
  Output out;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return out;
  // The gateway decides on what it parsed and passes the line on as it
  // came: a member named twice could mean one thing here and another to
  // the peer, so such a message is refused.
  auto j = parse_json_unique_keys(line, "JSON-RPC message", kMaxDepth, /*fold_case=*/true);
  if (!j) {
    record_event("malformed", "from the client: " + j.error().message, line.size());
    out.to_client.push_back(error_reply(nullptr, -32700, "Tollgate: " + j.error().message));
    return out;
  }
  if (!j->is_array()) return handle_client_message(*j, line, false, nullptr);
  // A batch.
  if (!batches_allowed(protocol_version_)) {
    std::string msg = "JSON-RPC batches are not allowed in MCP protocol version " +
                      (protocol_version_.empty() ? std::string("(none negotiated)") : protocol_version_);
    record_event("batch-refused", msg, line.size());
    out.to_client.push_back(error_reply(nullptr, -32600, "Tollgate: " + msg));
    return out;
  }
  if (j->empty()) {
    out.to_client.push_back(error_reply(nullptr, -32600, "Tollgate: an empty batch"));
    return out;
  }
  // Every request of the batch is decided; the batch reaches the server
  // only when all of them are allowed, otherwise each request is answered
  // with an error (the denied ones with their reason), and what the batch
  // carried besides requests (notifications, answers to the server's
  // requests) still reaches the server: a cancellation the gateway has
  // acted on, or an answer the server waits for, is not lost with it.
  json errors = json::array();
  json passed = json::array();  // the batch's acceptable notifications and answers
  bool refused = false;
  std::vector<std::string> added;  // the batch's requests now waiting (not those in flight before)
  for (const auto& m : *j) {
    std::string err;
    size_t waiting = pending_.size();
    (void)handle_client_message(m, dump_json(m), true, &err);
    if (pending_.size() > waiting) added.push_back(id_key(m["id"]));
    if (!err.empty()) refused = true;
    bool is_request = m.is_object() && m.contains("id") && m.contains("method");
    if (is_request) {
      errors.push_back(err.empty() ? json::parse(error_reply(m["id"], kDeniedCode,
                                                             "Tollgate: not sent, another request in the batch "
                                                             "was refused"))
                                   : json::parse(err));
    } else if (err.empty()) {
      passed.push_back(m);
    } else {
      errors.push_back(json::parse(err));  // a malformed member: JSON-RPC answers it with a null id
    }
  }
  if (refused) {
    // The batch's requests registered as waiting will never be answered.
    for (const auto& key : added)
      if (auto it = pending_.find(key); it != pending_.end()) forget(it);
    if (!errors.empty()) out.to_client.push_back(dump_json(errors));
    if (!passed.empty()) out.to_server.push_back(dump_json(passed));
    return out;
  }
  out.to_server.push_back(std::string(line));
  return out;
}

Gateway::Output Gateway::handle_client_message(const json& m, std::string_view line, bool in_batch,
                                               std::string* batch_error) {
  Output out;
  auto refuse = [&](const json& id, int code, const std::string& msg) {
    std::string reply = error_reply(id, code, msg);
    if (in_batch)
      *batch_error = reply;
    else
      out.to_client.push_back(std::move(reply));
  };
  if (!m.is_object()) {
    refuse(nullptr, -32600, "Tollgate: a JSON-RPC message must be an object");
    return out;
  }
  if (std::string k = miscased_member(m); !k.empty()) {
    record_event("malformed", "from the client: a member spelled `" + k + "`", line.size());
    refuse(m.contains("id") && valid_id(m["id"]) ? m["id"] : json(nullptr), -32600,
           "Tollgate: the member `" + k + "` is a protocol member in another case; it is refused");
    return out;
  }
  auto mit = m.find("method");
  bool has_id = m.contains("id");
  if (mit == m.end()) {
    // A response to one of the server's requests (sampling, elicitation, roots).
    if (!has_id || (!m.contains("result") && !m.contains("error"))) {
      refuse(nullptr, -32600, "Tollgate: not a JSON-RPC request, notification or response");
      return out;
    }
    if (!in_batch) out.to_server.push_back(std::string(line));
    return out;
  }
  if (!mit->is_string()) {
    refuse(has_id ? m["id"] : json(nullptr), -32600, "Tollgate: `method` must be a string");
    return out;
  }
  const std::string& method = mit->get_ref<const std::string&>();
  // A method spelled like one Tollgate decides or reviews but not exactly
  // (`Tools/call`, `tools/call `): a server that matches methods loosely
  // would run it undecided.
  {
    std::string folded = fold_method(method);
    if (folded != method && (is_decided_call(folded) || needs_review(folded) || folded == "resources/subscribe" ||
                             folded.rfind("notifications/", 0) == 0)) {
      record_event("method-lookalike", "a message names the method `" + method + "`", line.size());
      refuse(has_id ? m["id"] : json(nullptr), -32601, "Tollgate: no method `" + method + "` (methods are exact)");
      return out;
    }
  }
  // Only notifications are sent without an id: a request method without one
  // (`tools/call` as a notification) would run on a server that does not
  // check, with no decision and no answer.
  if (!has_id && method.rfind("notifications/", 0) != 0) {
    record_event("request-as-notification", "a `" + method + "` was sent without an id", line.size());
    refuse(nullptr, -32600, "Tollgate: `" + method + "` is a request and needs an id");
    return out;
  }
  if (!has_id) {  // a notification
    if (method == "notifications/cancelled") {
      // A cancelled request is not answered: it stops waiting.
      if (auto params = m.find("params"); params != m.end() && params->is_object())
        if (auto rid = params->find("requestId"); rid != params->end())
          if (auto it = pending_.find(id_key(*rid)); it != pending_.end()) {
            // The server may still answer it: its id is not taken again, or
            // that late answer would pass for the new request's.
            if (cancelled_order_.size() >= kMaxCancelled) {
              cancelled_.erase(cancelled_order_.front());
              cancelled_order_.pop_front();
            }
            if (cancelled_.insert(it->first).second) cancelled_order_.push_back(it->first);
            forget(it);
          }
    }
    if (!in_batch) out.to_server.push_back(std::string(line));
    return out;
  }
  const json& id = m["id"];
  if (!valid_id(id)) {
    refuse(nullptr, -32600, "Tollgate: a request id must be a string or an integer");
    return out;
  }
  std::string key = id_key(id);
  if (pending_.count(key)) {
    refuse(id, -32600, "Tollgate: a request with this id is already in flight");
    return out;
  }
  if (cancelled_.count(key)) {
    refuse(id, -32600, "Tollgate: this id belongs to a cancelled request; a session does not use an id twice");
    return out;
  }
  const json params = m.contains("params") && m["params"].is_object() ? m["params"] : json::object();
  Pending p{method, {}, {}};
  // The stateless era (2026-07-28) names the version in every request's
  // _meta; a request that contradicts the session's version is refused.
  if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    if (auto v = meta->find(kMetaVersion); v != meta->end() && v->is_string()) {
      const std::string& claimed = v->get_ref<const std::string&>();
      if (!protocol_version_.empty() && claimed != protocol_version_) {
        record_event("version-mismatch", "a request claims " + claimed + " in a " + protocol_version_ + " session",
                     line.size());
        refuse(id, -32600,
               "Tollgate: this request claims MCP protocol version " + claimed + " but the session uses " +
                   protocol_version_);
        return out;
      }
      if (protocol_version_.empty()) protocol_version_ = claimed;
    }
  }
  if (method == "initialize") {
    if (auto v = params.find("protocolVersion"); v != params.end() && v->is_string())
      protocol_version_ = v->get<std::string>();
  } else if (is_decided_call(method)) {
    std::string name_key = method == "resources/read" ? "uri" : "name";
    auto n = params.find(name_key);
    if (n == params.end() || !n->is_string() || n->get_ref<const std::string&>().empty()) {
      refuse(id, -32602, "Tollgate: " + method + " needs a string `" + name_key + "`");
      return out;
    }
    json args = json::object();
    if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
      if (!a->is_object()) {
        refuse(id, -32602, "Tollgate: `arguments` must be an object");
        return out;
      }
      args = *a;
    }
    p.name = n->get<std::string>();
    p.arguments = dump_json(args);
    if (std::string text = refusal(method, p.name, args, key, "this call"); !text.empty()) {
      if (method == "tools/call" && !in_batch) {
        // A tool error: the model reads it and can change course.
        out.to_client.push_back(tool_error(id, text));
      } else {
        refuse(id, kDeniedCode, text);
      }
      return out;
    }
  }
  if (method == "resources/subscribe" || method == "subscriptions/listen") {
    // What may not be read may not be watched: each resource subscribed to
    // is decided as a read of it (either era).
    std::vector<std::string> uris;
    if (method == "resources/subscribe") {
      auto u = params.find("uri");
      if (u == params.end() || !u->is_string() || u->get_ref<const std::string&>().empty()) {
        refuse(id, -32602, "Tollgate: resources/subscribe needs a string `uri`");
        return out;
      }
      uris.push_back(u->get<std::string>());
    } else if (auto f = params.find("notifications"); f != params.end() && !f->is_null()) {
      if (!f->is_object()) {
        refuse(id, -32602, "Tollgate: `notifications` must be an object");
        return out;
      }
      if (auto r = f->find("resourceSubscriptions"); r != f->end() && !r->is_null()) {
        if (!r->is_array() || r->size() > kMaxSubscriptions) {
          refuse(id, -32602,
                 "Tollgate: `resourceSubscriptions` must be an array of at most " + std::to_string(kMaxSubscriptions) +
                     " URIs");
          return out;
        }
        for (const auto& u : *r) {
          if (!u.is_string() || u.get_ref<const std::string&>().empty()) {
            refuse(id, -32602, "Tollgate: `resourceSubscriptions` must hold URI strings");
            return out;
          }
          uris.push_back(u.get<std::string>());
        }
      }
    }
    if (watched_.size() + uris.size() > kMaxWatched) {
      refuse(id, -32602, "Tollgate: this session watches " + std::to_string(kMaxWatched) + " resources already");
      return out;
    }
    for (size_t i = 0; i < uris.size(); ++i) {
      std::string record_id = uris.size() == 1 ? key : key + "#" + std::to_string(i);
      if (std::string text =
              refusal("resources/subscribe", uris[i], json::object(), record_id, "subscribing to " + uris[i]);
          !text.empty()) {
        refuse(id, kDeniedCode, text);
        return out;
      }
    }
    watched_.insert(uris.begin(), uris.end());
  } else if (method == "resources/unsubscribe") {
    if (auto u = params.find("uri"); u != params.end() && u->is_string()) watched_.erase(u->get<std::string>());
  }
  if (method == "tools/list") p.paged = params.contains("cursor");
  if (needs_review(method)) ++inspect_pending_;
  pending_.emplace(key, std::move(p));
  if (!in_batch) out.to_server.push_back(std::string(line));
  return out;
}

std::string Gateway::tool_error(const json& id, const std::string& text) const {
  json result = {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
  // From 2026-07-28 on every result names its type; clients refuse one without.
  if (protocol_version_ >= "2026") result["resultType"] = "complete";
  return dump_json(json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

std::string Gateway::refusal(std::string_view method, const std::string& name, const json& args, const std::string& id,
                             std::string_view what) {
  flush_outcomes();  // the session's state includes every earlier result
  auto reply = ask("call", dump_json(json{{"method", method},
                                          {"name", name},
                                          {"arguments", args},
                                          {"id", id},
                                          {"protocol_version", protocol_version_}}));
  std::string verdict, reason;
  if (!reply) {
    reason = "Tollgate cannot reach its daemon (" + reply.error().message +
             "); start it with `tollgate serve` or check TOLLGATE_SOCKET";
  } else if (auto r = parse_json(*reply, "daemon reply", 8); !r || !r->is_object()) {
    reason = "Tollgate's daemon answered something unreadable";
  } else if (!r->value("ok", false)) {
    reason = "Tollgate's daemon refused the request: " + r->value("error", std::string("no reason given"));
  } else {
    verdict = r->value("verdict", std::string());
    reason = r->value("reason", std::string());
  }
  if (verdict == "allow") return {};
  if (verdict == "ask")
    return "Tollgate: " + std::string(what) +
           " needs a person's approval, which an MCP client cannot give here: " + reason;
  return "Tollgate denied " + std::string(what) + ": " + reason;
}

std::string Gateway::review_server_request(const std::string& method, const json& params, const std::string& id) {
  if (!action::is_mcp_server_request(method))
    return "Tollgate does not know the request `" + method.substr(0, 128) + "` a server makes of its client";
  return refusal(method, method, server_request_arguments(params), id,
                 "the MCP server's request " + method + " (server `" + opts_.server + "`)");
}

Gateway::Output Gateway::server_line(std::string_view line) {
  Output out;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return out;
  // The gateway decides on what it parsed and passes the line on as it
  // came: a member named twice could mean one thing here and another to
  // the peer, so such a message is refused.
  auto j = parse_json_unique_keys(line, "JSON-RPC message", kMaxDepth, /*fold_case=*/true);
  if (!j) {
    record_event("malformed", "from the server: " + j.error().message, line.size());
    return out;
  }
  if (!j->is_array()) return handle_server_message(*j, line);
  // A batch: each message in it is handled as if it came alone, and what
  // may reach the client goes on as one batch. Where the version has no
  // batches, the requests it answers get an error instead.
  bool allowed = batches_allowed(protocol_version_);
  if (!allowed)
    record_event("batch-refused",
                 "the server sent a batch in MCP protocol version " +
                     (protocol_version_.empty() ? std::string("(none negotiated)") : protocol_version_),
                 line.size());
  json kept = json::array();
  for (auto& m : *j) {
    if (!allowed) {
      if (m.is_object() && m.contains("id") && !m.contains("method")) {
        if (auto it = pending_.find(id_key(m["id"])); it != pending_.end()) {
          forget(it);
          out.to_client.push_back(error_reply(m["id"], kGatewayCode,
                                              "Tollgate: the server answered in a batch, which this version forbids"));
        }
      }
      continue;
    }
    Output one = handle_server_message(m, dump_json(m));
    for (auto& l : one.to_server) out.to_server.push_back(std::move(l));
    for (const auto& l : one.to_client)
      if (auto parsed = parse_json(l, "JSON-RPC message", kMaxDepth + 1)) kept.push_back(std::move(*parsed));
  }
  if (!kept.empty()) out.to_client.push_back(dump_json(kept));
  return out;
}

bool Gateway::watches(std::string_view uri) const {
  // The resource itself, or one below a watched one (the specification
  // lets an update name a sub-resource of the subscribed resource).
  for (size_t end = uri.size();; --end) {
    if (end == uri.size() || uri[end] == '/') {
      if (watched_.count(std::string(uri.substr(0, end)))) return true;
      if (end < uri.size() && uri[end] == '/' && watched_.count(std::string(uri.substr(0, end + 1)))) return true;
    }
    if (end == 0) return false;
  }
}

void Gateway::forget(std::map<std::string, Pending>::iterator it) { (void)take(it); }

Gateway::Pending Gateway::take(std::map<std::string, Pending>::iterator it) {
  if (needs_review(it->second.method)) --inspect_pending_;
  Pending p = std::move(it->second);
  pending_.erase(it);
  return p;
}

Gateway::Output Gateway::handle_server_message(json& m, std::string_view line) {
  Output out;
  if (!m.is_object()) {
    record_event("malformed", "from the server: not a JSON-RPC object", line.size());
    return out;
  }
  if (std::string k = miscased_member(m); !k.empty()) {
    // Dropped; an answer the client waits for is answered with an error.
    record_event("malformed", "from the server: a member spelled `" + k + "`", line.size());
    if (m.contains("id") && !m.contains("method"))
      if (auto it = pending_.find(id_key(m["id"])); it != pending_.end()) {
        forget(it);
        out.to_client.push_back(error_reply(
            m["id"], kGatewayCode,
            "Tollgate refused the server's answer: the member `" + k + "` is a protocol member in another case"));
      }
    return out;
  }
  bool has_id = m.contains("id");
  if (auto method = m.find("method"); method != m.end()) {
    // A request method without an id (`sampling/createMessage`, `tasks/…`)
    // would reach the client undecided: only notifications come without one.
    if (!has_id && (!method->is_string() || method->get_ref<const std::string&>().rfind("notifications/", 0) != 0)) {
      record_event("request-as-notification", "from the server: a request method without an id", line.size());
      return out;
    }
    // A notification spelled like another but not exactly would skip what
    // Tollgate checks of it (`notifications/resources/updated `).
    if (!has_id && fold_method(method->get_ref<const std::string&>()) != *method) {
      record_event("method-lookalike", "from the server: a notification not spelled exactly", line.size());
      return out;
    }
    if (!has_id) {  // a notification
      if (*method == "notifications/resources/updated") {
        // Only for what the client was allowed to watch: a server may not
        // tell it about (or smuggle text in the URI of) anything else.
        auto params = m.find("params");
        const json* uri =
            params != m.end() && params->is_object() && params->contains("uri") ? &(*params)["uri"] : nullptr;
        if (!uri || !uri->is_string() || !watches(uri->get_ref<const std::string&>())) {
          // Recorded the first time and then once in 1,024: a flood does not flood the ledger.
          if (dropped_updates_++ % 1024 == 0)
            record_event("notification-dropped",
                         "the server reported an update of a resource the client does not watch (" +
                             std::to_string(dropped_updates_) + " so far)",
                         line.size());
          return out;
        }
      }
      out.to_client.push_back(std::string(line));
      return out;
    }
    // The server's own request of the client (up to 2025-11-25): decided
    // before the client sees it, and a refusal is the server's answer. Only
    // ping and the tasks of requests already decided pass undecided; any
    // other request is refused.
    std::string name = method->is_string() ? method->get<std::string>() : std::string();
    // What reaches the client is the request alone: no `result` or `error`
    // beside it for a client to read it as something else.
    auto request_only = [&] {
      json r = {{"jsonrpc", "2.0"}, {"id", m["id"]}, {"method", *method}};
      if (auto params = m.find("params"); params != m.end()) r["params"] = *params;
      return dump_json(r);
    };
    if (name == "ping" || name.rfind("tasks/", 0) == 0) {
      out.to_client.push_back(request_only());
      return out;
    }
    std::string text;
    if (action::is_mcp_server_request(name)) {
      auto params = m.find("params");
      text = review_server_request(name, params != m.end() ? *params : kNoParams,
                                   "server:" + (valid_id(m["id"]) ? id_key(m["id"]) : std::string("?")));
    } else {
      text = "Tollgate does not pass the request `" + name.substr(0, 128) + "` of an MCP server to its client";
      record_event("server-request-refused", text, line.size());
    }
    if (!text.empty()) {
      out.to_server.push_back(error_reply(m["id"], kDeniedCode, text));
      return out;
    }
    out.to_client.push_back(request_only());
    return out;
  }
  if (!has_id || (!m.contains("result") && !m.contains("error"))) {
    record_event("malformed", "from the server: not a JSON-RPC request, notification or response", line.size());
    return out;
  }
  auto it = pending_.find(id_key(m["id"]));
  if (it == pending_.end()) {
    // Every request the client sent is waiting until answered: an answer to
    // none (an id of another type, a second answer) is dropped, never passed
    // on unreviewed for a client that matches ids loosely.
    record_event("unmatched-answer", "from the server: an answer to no request waiting for one", line.size());
    return out;
  }
  Pending p = take(it);
  auto result = m.find("result");
  bool ok = result != m.end() && result->is_object();
  bool decided = is_decided_call(p.method);
  if (ok) {
    auto type = result->find("resultType");
    if ((type != result->end() && type->is_string() && *type == "input_required") ||
        result->contains("inputRequests")) {
      if (!needs_review(p.method)) return input_required(m, *result, p, decided);
      // A tool list or the server's identity is never an interim answer.
      record_event("input-required-refused", "the server asked for input in answer to " + p.method, line.size());
      out.to_client.push_back(error_reply(m["id"], kGatewayCode,
                                          "Tollgate refused the server's answer to " + p.method +
                                              ": it asks for input, which this request does not take"));
      return out;
    }
  }

  if ((p.method == "initialize" || p.method == "server/discover") && ok) {
    if (auto v = result->find("protocolVersion"); v != result->end() && v->is_string())
      protocol_version_ = v->get<std::string>();
    std::string instructions;
    if (auto ins = result->find("instructions"); ins != result->end() && ins->is_string())
      instructions = ins->get<std::string>();
    json info = result->contains("serverInfo") ? (*result)["serverInfo"] : json::object();
    auto reply = ask(
        "server", dump_json(json{
                      {"instructions", instructions}, {"server_info", info}, {"protocol_version", protocol_version_}}));
    // Instructions reach the client (and, through it, the model's prompt)
    // only when the daemon has reviewed them and the server is not
    // quarantined: changed or flagged ones, or any the daemon could not
    // review, are withheld; the rest of the answer passes.
    bool reviewed = false;
    if (reply) {
      if (auto r = parse_json(*reply, "daemon reply", 8); r && r->is_object()) {
        auto ok = r->find("ok");
        auto q = r->find("quarantined");
        reviewed = ok != r->end() && *ok == true && q != r->end() && *q == false;
      }
    }
    if (!reviewed && result->contains("instructions")) {
      result->erase("instructions");
      record_event("instructions-withheld",
                   reply ? "the server is quarantined: its instructions are not passed to the client"
                         : "the daemon could not review the server's instructions (" + reply.error().message + ")",
                   line.size());
      out.to_client.push_back(dump_json(m));
      return out;
    }
    out.to_client.push_back(std::string(line));
    return out;
  }
  if (p.method == "tools/list" && ok) {
    auto tools = result->find("tools");
    if (tools == result->end() || !tools->is_array()) {
      out.to_client.push_back(
          error_reply(m["id"], kGatewayCode, "Tollgate: the server's tools/list has no `tools` array"));
      return out;
    }
    auto reply = ask("tools", dump_json(json{{"tools", *tools}, {"continues_first", p.paged && first_listing_open_}}));
    std::optional<json> r;
    if (reply) {
      if (auto parsed = parse_json(*reply, "daemon reply", 8);
          parsed && parsed->is_object() && parsed->value("ok", false))
        r = std::move(*parsed);
    }
    if (!r) {
      std::string why =
          reply ? "its daemon refused the list" : "it cannot reach its daemon (" + reply.error().message + ")";
      out.to_client.push_back(error_reply(m["id"], kGatewayCode, "Tollgate cannot review this tool list: " + why));
      return out;
    }
    // More pages of a first listing follow: they are first sight too.
    auto next = result->find("nextCursor");
    auto first = r->find("first_sight");
    first_listing_open_ = next != result->end() && next->is_string() && !next->get_ref<const std::string&>().empty() &&
                          first != r->end() && *first == true;
    std::map<std::string, bool> usable;
    if (auto v = r->find("tools"); v != r->end() && v->is_array()) {
      for (const auto& t : *v)
        if (t.is_object()) usable[t.value("name", std::string())] = t.value("usable", false);
    }
    json kept = json::array();
    // A name listed twice was reviewed once, as its first definition: only
    // that one reaches the client (which might otherwise keep the second).
    std::set<std::string> listed;
    size_t twice = 0;
    for (auto& t : *tools) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) continue;
      const std::string& name = t["name"].get_ref<const std::string&>();
      if (!listed.insert(name).second) {
        ++twice;
        continue;
      }
      auto u = usable.find(name);
      if (u != usable.end() && u->second) kept.push_back(std::move(t));
    }
    if (twice)
      record_event("duplicate-tool",
                   "the server listed " + std::to_string(twice) +
                       " tool(s) under a name it had listed already; only the first definition is kept",
                   line.size());
    (*result)["tools"] = std::move(kept);
    out.to_client.push_back(dump_json(m));
    return out;
  }
  out.to_client.push_back(std::string(line));
  if (decided) {
    bool success = ok && !(result->contains("isError") && (*result)["isError"] == true);
    deferred_.push_back({dump_json(json{{"method", p.method},
                                        {"name", p.name},
                                        {"arguments", p.arguments},
                                        {"id", id_key(m["id"])},
                                        {"success", success},
                                        {"summary", ok ? result_summary(*result) : std::string()}}),
                         caller_});
  }
  return out;
}

Gateway::Output Gateway::input_required(const json& m, const json& result, const Pending& p, bool decided) {
  // A multi-round-trip answer (2026-07-28): the server asks the client for
  // input before it completes the request. Each input request is decided
  // like the server's own requests of the older versions; the client
  // retries with the answers, and that retry is decided again.
  Output out;
  json asked = json::array();
  std::string refused;
  auto reqs = result.find("inputRequests");
  if (reqs != result.end() && !reqs->is_null()) {
    if (!reqs->is_object() || reqs->size() > kMaxInputRequests) {
      refused = "Tollgate refused the server's input requests: expected an object of at most " +
                std::to_string(kMaxInputRequests);
    } else {
      size_t i = 0;
      for (const auto& [k, r] : reqs->items()) {
        auto method = r.is_object() ? r.find("method") : r.end();
        std::string name = method != r.end() && method->is_string() ? method->get<std::string>() : std::string();
        asked.push_back(name.substr(0, 128));
        auto params = r.is_object() ? r.find("params") : r.end();
        refused = review_server_request(name, params != r.end() ? *params : kNoParams,
                                        id_key(m["id"]) + "/" + std::to_string(i++));
        if (!refused.empty()) break;
      }
    }
  }
  if (decided)
    deferred_.push_back({dump_json(json{{"method", p.method},
                                        {"name", p.name},
                                        {"arguments", p.arguments},
                                        {"id", id_key(m["id"])},
                                        {"input_required", true},
                                        {"input_requests", asked}}),
                         caller_});
  if (refused.empty())
    out.to_client.push_back(dump_json(m));
  else if (p.method == "tools/call")
    out.to_client.push_back(tool_error(m["id"], refused));
  else
    out.to_client.push_back(error_reply(m["id"], kDeniedCode, refused));
  return out;
}

void StreamedMessageCheck::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (!why_.empty()) return;
    if (in_string_) {
      if (id_state_ == kIdValue) {
        id_ += c;
        if (id_.size() > 256) return fail("a streamed answer's id is too long");
      }
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
        if (capturing_) key_escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
        if (capturing_) {
          capturing_ = false;
          size_t depth = stack_.size();
          if (depth == 1) {
            top_key_ = key_;
            if (key_escaped_ || (key_ != "jsonrpc" && key_ != "id" && key_ != "result" && key_ != "error"))
              return fail("a streamed message may only be an answer, and this one has the key `" + key_ + "`");
            if (key_ == "id") {
              if (id_state_ != kNoId) return fail("a streamed answer names its id twice");
              id_state_ = kIdKey;
            }
          } else if (depth == 2 && in_result_ && (key_escaped_ || fold_member_name(key_) == "inputrequests")) {
            // In any case: a client that folds member names reads `InputRequests` too.
            return fail("a streamed answer may not ask the client for input");
          } else if (depth == 2 && in_result_ && fold_member_name(key_) == "resulttype" && key_ != "resultType") {
            return fail("a streamed answer names `resultType` in another case");
          }
        }
      } else if (capturing_ && key_.size() < 64) {
        key_ += c;
      }
      continue;
    }
    if (id_state_ == kIdValue) {
      if (stack_.size() == 1 && (c == ',' || c == '}')) {
        id_state_ = kIdDone;
      } else if (c == '{' || c == '[') {
        return fail("a streamed answer's id must be a string or a number");
      } else {
        id_ += c;
        if (id_.size() > 256) return fail("a streamed answer's id is too long");
      }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (!started_) {
      started_ = true;
      if (c != '{') return fail("a streamed message must be a JSON-RPC object");
    } else if (stack_.empty()) {
      return fail("a streamed message goes on after its end");
    }
    switch (c) {
      case '{':
      case '[':
        if (stack_.size() >= static_cast<size_t>(kMaxDepth)) return fail("a streamed message nests too deep");
        if (stack_.size() == 1 && c == '{') in_result_ = top_key_ == "result";
        stack_.push_back({c == '{', c == '{'});
        break;
      case '}':
      case ']':
        if (stack_.empty()) return fail("a streamed message is not well-formed JSON");
        stack_.pop_back();
        if (stack_.size() == 1) in_result_ = false;
        break;
      case ',':
        if (!stack_.empty() && stack_.back().object) stack_.back().expect_key = true;
        break;
      case ':':
        if (!stack_.empty() && stack_.back().object) stack_.back().expect_key = false;
        if (stack_.size() == 1 && id_state_ == kIdKey) id_state_ = kIdValue;
        break;
      case '"':
        in_string_ = true;
        capturing_ = !stack_.empty() && stack_.back().object && stack_.back().expect_key && stack_.size() <= 2;
        key_.clear();
        key_escaped_ = false;
        break;
      default: break;
    }
  }
}

bool StreamedMessageCheck::complete() const { return why_.empty() && started_ && stack_.empty(); }

Gateway::Output Gateway::end_streamed(const StreamedMessageCheck& check, size_t bytes, bool& pass) {
  // The line may be completed only when it is, whole, an answer to a
  // request still waiting whose answer needs no review: the id is known
  // only now, and a tools/list may have been sent while it streamed.
  Output out;
  pass = false;
  std::optional<json> id;
  if (check.id_done()) {
    if (auto parsed = parse_json(check.id(), "id", 2); parsed && valid_id(*parsed)) id = std::move(*parsed);
  }
  auto it = id ? pending_.find(id_key(*id)) : pending_.end();
  std::string why = !check.ok()            ? check.why()
                    : !check.complete()    ? std::string("a streamed message ended before its JSON did")
                    : !id                  ? std::string("a streamed answer without a valid id")
                    : it == pending_.end() ? std::string("a streamed answer to no request waiting for one")
                    : needs_review(it->second.method)
                        ? "a streamed answer to " + it->second.method + ", which is reviewed whole"
                        : std::string();
  if (!why.empty()) {
    record_event("stream-refused", why, bytes);
    if (it != pending_.end()) {
      forget(it);
      out.to_client.push_back(error_reply(*id, kGatewayCode, "Tollgate refused the server's answer: " + why));
    }
    return out;
  }
  pass = true;
  Pending p = take(it);
  if (is_decided_call(p.method)) {
    deferred_.push_back({dump_json(json{{"method", p.method},
                                        {"name", p.name},
                                        {"arguments", p.arguments},
                                        {"id", id_key(*id)},
                                        {"success", true},
                                        {"summary", "(a streamed result of " + std::to_string(bytes) + " bytes)"}}),
                         caller_});
  }
  return out;
}

std::string Gateway::abandon(std::string_view client_line, std::string_view why) {
  auto j = parse_json(client_line, "JSON-RPC message", kMaxDepth);
  if (!j) return {};
  json errors = json::array();
  auto one = [&](const json& m) {
    if (!m.is_object() || !m.contains("id") || !m.contains("method")) return;
    if (auto it = pending_.find(id_key(m["id"])); it != pending_.end()) forget(it);
    errors.push_back(json::parse(error_reply(m["id"], kGatewayCode, std::string("Tollgate: ") + std::string(why))));
  };
  if (j->is_array()) {
    for (const auto& m : *j) one(m);
    return errors.empty() ? std::string() : dump_json(errors);
  }
  one(*j);
  return errors.empty() ? std::string() : dump_json(errors[0]);
}

void Gateway::end_exchange(std::string_view client_line) {
  // In the stateless era an answer comes on its request's own stream or not
  // at all; before it, a stream may be resumed later, so requests wait on.
  if (protocol_version_ < "2026") return;
  auto j = parse_json(client_line, "JSON-RPC message", kMaxDepth);
  if (!j) return;
  auto one = [&](const json& m) {
    if (!m.is_object() || !m.contains("id") || !m.contains("method")) return;
    if (auto it = pending_.find(id_key(m["id"])); it != pending_.end()) forget(it);
  };
  if (j->is_array()) {
    for (const auto& m : *j) one(m);
  } else {
    one(*j);
  }
}

void Gateway::flush_outcomes() {
  // Posted, the outcome commits with the next decision instead of before it.
  for (const auto& d : deferred_) {
    if (!poster_ || !poster_(header("result", d.payload.size()), d.payload, d.caller)) (void)ask("result", d.payload);
  }
  deferred_.clear();
}

Gateway::Output Gateway::server_exited(int status) {
  flush_outcomes();
  Output out;
  std::string msg = "Tollgate: the MCP server `" + opts_.server + "` exited (status " + std::to_string(status) + ")";
  for (const auto& [key, p] : pending_) {
    auto id = parse_json(key, "id", 2);
    out.to_client.push_back(error_reply(id ? *id : json(nullptr), kGatewayCode, msg));
  }
  pending_.clear();
  inspect_pending_ = 0;
  record_event("server-exit", msg, 0);
  return out;
}

}  // namespace tollgate::mcp
