// The MCP gateway's protocol logic (mcp/gateway.h).
#include "mcp/gateway.h"

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

// Batches are JSON-RPC 2.0, allowed by MCP up to 2025-03-26 and removed after.
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
  Output out;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return out;
  auto j = parse_json(line, "JSON-RPC message", kMaxDepth);
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
  // with an error (the denied ones with their reason).
  json errors = json::array();
  bool refused = false;
  std::vector<Output> parts;
  for (const auto& m : *j) {
    std::string err;
    parts.push_back(handle_client_message(m, dump_json(m), true, &err));
    if (!err.empty()) refused = true;
    if (m.is_object() && m.contains("id") && m.contains("method")) {
      errors.push_back(err.empty() ? json::parse(error_reply(m["id"], kDeniedCode,
                                                             "Tollgate: not sent, another request in the batch "
                                                             "was refused"))
                                   : json::parse(err));
    }
  }
  if (refused) {
    // The requests that were registered as pending will never be answered.
    for (const auto& m : *j) {
      if (m.is_object() && m.contains("id") && m.contains("method")) {
        auto it = pending_.find(id_key(m["id"]));
        if (it != pending_.end()) {
          if (needs_review(it->second.method)) --inspect_pending_;
          pending_.erase(it);
        }
      }
    }
    if (!errors.empty()) out.to_client.push_back(dump_json(errors));
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
  if (!has_id) {  // a notification
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
  } else if (method == "tools/call" || method == "resources/read" || method == "prompts/get") {
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
    flush_outcomes();  // the session's state includes every earlier result
    auto reply = ask("call", dump_json(json{{"method", method},
                                            {"name", p.name},
                                            {"arguments", args},
                                            {"id", key},
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
    if (verdict != "allow") {
      std::string text =
          verdict == "ask"
              ? "Tollgate: this call needs a person's approval, which an MCP client cannot give here: " + reason
              : "Tollgate denied this call: " + reason;
      if (method == "tools/call" && !in_batch) {
        // A tool error: the model reads it and can change course.
        out.to_client.push_back(dump_json(
            json{{"jsonrpc", "2.0"},
                 {"id", id},
                 {"result", {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}}}}));
      } else {
        refuse(id, kDeniedCode, text);
      }
      return out;
    }
  }
  if (needs_review(method)) ++inspect_pending_;
  pending_.emplace(key, std::move(p));
  if (!in_batch) out.to_server.push_back(std::string(line));
  return out;
}

Gateway::Output Gateway::from_server(std::string_view line) {
  Output out;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return out;
  auto j = parse_json(line, "JSON-RPC message", kMaxDepth);
  if (!j) {
    record_event("malformed", "from the server: " + j.error().message, line.size());
    return out;
  }
  if (j->is_array()) {
    // A batch answer: its responses settle their requests.
    for (const auto& m : *j) {
      if (!m.is_object() || !m.contains("id") || m.contains("method")) continue;
      auto it = pending_.find(id_key(m["id"]));
      if (it == pending_.end()) continue;
      if (needs_review(it->second.method)) {
        // Never forward an unreviewed tool list.
        --inspect_pending_;
        pending_.erase(it);
        record_event("batch-refused", "the server answered tools/list inside a batch", line.size());
        out.to_client.push_back(
            error_reply(m["id"], kGatewayCode, "Tollgate: a batched tools/list cannot be reviewed"));
        return out;
      }
      pending_.erase(it);
    }
    out.to_client.push_back(std::string(line));
    return out;
  }
  if (!j->is_object()) {
    record_event("malformed", "from the server: not a JSON-RPC object", line.size());
    return out;
  }
  json& m = *j;
  if (m.contains("method") || !m.contains("id")) {  // the server's own request or a notification
    out.to_client.push_back(std::string(line));
    return out;
  }
  auto it = pending_.find(id_key(m["id"]));
  if (it == pending_.end()) {
    out.to_client.push_back(std::string(line));
    return out;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (needs_review(p.method)) --inspect_pending_;
  auto result = m.find("result");
  bool ok = result != m.end() && result->is_object();

  if ((p.method == "initialize" || p.method == "server/discover") && ok) {
    if (auto v = result->find("protocolVersion"); v != result->end() && v->is_string())
      protocol_version_ = v->get<std::string>();
    std::string instructions;
    if (auto ins = result->find("instructions"); ins != result->end() && ins->is_string())
      instructions = ins->get<std::string>();
    json info = result->contains("serverInfo") ? (*result)["serverInfo"] : json::object();
    (void)ask("server",
              dump_json(json{
                  {"instructions", instructions}, {"server_info", info}, {"protocol_version", protocol_version_}}));
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
    auto reply = ask("tools", dump_json(json{{"tools", *tools}}));
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
    std::map<std::string, bool> usable;
    if (auto v = r->find("tools"); v != r->end() && v->is_array()) {
      for (const auto& t : *v)
        if (t.is_object()) usable[t.value("name", std::string())] = t.value("usable", false);
    }
    json kept = json::array();
    for (auto& t : *tools) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) continue;
      auto u = usable.find(t["name"].get<std::string>());
      if (u != usable.end() && u->second) kept.push_back(std::move(t));
    }
    (*result)["tools"] = std::move(kept);
    out.to_client.push_back(dump_json(m));
    return out;
  }
  out.to_client.push_back(std::string(line));
  if (p.method == "tools/call" || p.method == "resources/read" || p.method == "prompts/get") {
    bool success = ok && !(result->contains("isError") && (*result)["isError"] == true);
    deferred_.push_back(dump_json(json{{"method", p.method},
                                       {"name", p.name},
                                       {"arguments", p.arguments},
                                       {"id", id_key(m["id"])},
                                       {"success", success},
                                       {"summary", ok ? result_summary(*result) : std::string()}}));
  }
  return out;
}

void Gateway::streamed_from_server(std::string_view tail, size_t bytes) {
  // The id is near the end of a response the SDKs write ({"result":…,"jsonrpc":"2.0","id":7}).
  auto pos = tail.rfind("\"id\"");
  if (pos == std::string_view::npos) return;
  auto colon = tail.find(':', pos);
  if (colon == std::string_view::npos) return;
  std::string_view rest = tail.substr(colon + 1);
  auto end = rest.find_first_of(",}");
  if (end == std::string_view::npos) return;
  auto id = parse_json(rest.substr(0, end), "id", 2);
  if (!id || !valid_id(*id)) return;
  auto it = pending_.find(id_key(*id));
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.method == "tools/call" || p.method == "resources/read" || p.method == "prompts/get") {
    deferred_.push_back(dump_json(json{{"method", p.method},
                                       {"name", p.name},
                                       {"arguments", p.arguments},
                                       {"id", id_key(*id)},
                                       {"success", true},
                                       {"summary", "(a streamed result of " + std::to_string(bytes) + " bytes)"}}));
  }
}

std::string Gateway::abandon(std::string_view client_line, std::string_view why) {
  auto j = parse_json(client_line, "JSON-RPC message", kMaxDepth);
  if (!j) return {};
  json errors = json::array();
  auto one = [&](const json& m) {
    if (!m.is_object() || !m.contains("id") || !m.contains("method")) return;
    auto it = pending_.find(id_key(m["id"]));
    if (it != pending_.end()) {
      if (needs_review(it->second.method)) --inspect_pending_;
      pending_.erase(it);
    }
    errors.push_back(json::parse(error_reply(m["id"], kGatewayCode, std::string("Tollgate: ") + std::string(why))));
  };
  if (j->is_array()) {
    for (const auto& m : *j) one(m);
    return errors.empty() ? std::string() : dump_json(errors);
  }
  one(*j);
  return errors.empty() ? std::string() : dump_json(errors[0]);
}

void Gateway::flush_outcomes() {
  // Posted, the outcome commits with the next decision instead of before it.
  for (const auto& payload : deferred_) {
    if (!poster_ || !poster_(header("result", payload.size()), payload)) (void)ask("result", payload);
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
