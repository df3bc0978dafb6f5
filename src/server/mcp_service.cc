// The daemon's side of the MCP gateway (docs/mcp.md): the "mcp" op.
//
//   kind "server"   the server's initialize result: pin or review its instructions
//   kind "tools"    one tools/list page: review against the pins, decide
//                   mcp.list per tool → which tools the client may see
//   kind "call"     tools/call, resources/read, prompts/get: decide mcp.call
//                   (quarantined and never-listed tools are denied)
//   kind "result"   the outcome of an allowed call (untrusted input)
//   kind "event"    a protocol event the gateway saw (malformed, oversized …)
//   kind "approve"  a person approves quarantined definitions
//   kind "pins"     every pin, for `tollgate mcp pins`
#include <algorithm>
#include <chrono>
#include <set>

#include "action/action.h"
#include "analyze/paths.h"
#include "base/json.h"
#include "mcp/pins.h"
#include "policy/pack.h"
#include "server/daemon.h"
#include "server/service_internal.h"

namespace tollgate::server {

using nlohmann::json;

namespace {

constexpr size_t kMaxDefinitionInRecord = 64u << 10;
constexpr int kMaxPayloadDepth = 64;

bool valid_server_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '@';
  });
}

std::string bounded(const std::string& s) {
  return s.size() <= kMaxDefinitionInRecord ? s : s.substr(0, kMaxDefinitionInRecord) + "…(truncated)";
}

json pin_record(const mcp::Pin& p) {
  return json{{"server", p.server},
              {"tool", p.tool},
              {"status", p.status},
              {"hash", p.hash},
              {"pending_hash", p.pending_hash},
              {"flags", p.flags},
              {"reason", p.reason},
              {"definition", bounded(p.definition)},
              {"pending_definition", bounded(p.pending_definition)}};
}

std::string reply_ok(json j) {
  j["ok"] = true;
  return dump_json(j);
}

}  // namespace

std::string Service::handle_mcp(const nlohmann::json& h, std::string_view payload, int peer_pid) {
  std::string kind = h.value("kind", std::string());
  std::string server = h.value("server", std::string());
  std::lock_guard lock(mu_);
  int64_t now = opts_.now();
  std::string err;

  // The stored pins of one server, or of all when `srv` is empty.
  auto read_pins = [&](const std::string& srv) -> Result<std::vector<mcp::Pin>> {
    auto bodies = store_->mcp_pins(srv);
    if (!bodies) return std::move(bodies).error();
    std::vector<mcp::Pin> pins;
    for (const auto& b : *bodies) {
      auto p = mcp::load_pin_json(b);
      if (!p) return std::move(p).error();
      pins.push_back(std::move(*p));
    }
    return pins;
  };
  // The pins of one server, cached (every tools/call reads them); the
  // cache is written through by save_pin.
  auto cached_pins = [&](const std::string& srv) -> Result<const std::vector<mcp::Pin>*> {
    if (auto it = mcp_pins_.find(srv); it != mcp_pins_.end()) return &it->second;
    auto pins = read_pins(srv);
    if (!pins) return std::move(pins).error();
    if (mcp_pins_.size() >= 1024) mcp_pins_.clear();
    return &(mcp_pins_[srv] = std::move(*pins));
  };
  auto load_pins = [&](const std::string& srv) -> Result<std::vector<mcp::Pin>> {
    if (srv.empty()) return read_pins(srv);  // every server: for people, straight from the store
    auto c = cached_pins(srv);
    if (!c) return std::move(c).error();
    return **c;
  };
  auto save_pin = [&](const mcp::Pin& p) -> Status {
    if (auto st = store_->put_mcp_pin(p.server, p.tool, mcp::pin_json(p)); !st) return st;
    auto it = mcp_pins_.find(p.server);
    if (it != mcp_pins_.end()) {
      auto same =
          std::find_if(it->second.begin(), it->second.end(), [&](const mcp::Pin& q) { return q.tool == p.tool; });
      if (same != it->second.end())
        *same = p;
      else
        it->second.push_back(p);
    }
    return Status::Ok();
  };

  // Operator ops: no session.
  if (kind == "pins") {
    auto pins = load_pins(server);
    if (!pins) return reply_error(pins.error().message);
    json arr = json::array();
    for (const auto& p : *pins) arr.push_back(json::parse(mcp::pin_json(p)));
    return reply_ok(json{{"pins", std::move(arr)}});
  }
  if (!valid_server_name(server))
    return reply_error("an MCP server name must be 1–128 letters, digits, `-`, `_`, `.` or `@`");
  if (kind == "approve") {
    std::string tool = h.value("tool", std::string());
    auto pins = load_pins(server);
    if (!pins) return reply_error(pins.error().message);
    json approved = json::array();
    for (auto& p : *pins) {
      if (!tool.empty() && p.tool != tool) continue;
      mcp::Pin before = p;
      if (!mcp::approve(p, now)) continue;
      if (auto st = save_pin(p); !st) return reply_error(st.error().message);
      record("", "mcp_approve", "", "",
             dump_json(json{{"type", "mcp_approve"},
                            {"server", p.server},
                            {"tool", p.tool},
                            {"before", pin_record(before)},
                            {"approved_hash", p.hash},
                            {"by", h.value("by", std::string())},
                            {"ts", now}}),
             &err);
      approved.push_back(p.tool.empty() ? "(server instructions)" : p.tool);
    }
    if (approved.empty())
      return reply_error("nothing of `" + server + (tool.empty() ? "" : "/" + tool) + "` awaits approval");
    return reply_ok(json{{"approved", std::move(approved)}});
  }

  auto body = parse_json(payload, "MCP gateway request", kMaxPayloadDepth);
  if (!body) return reply_error(body.error().message);
  if (!body->is_object()) return reply_error("MCP gateway request: expected a JSON object");

  std::string sid = h.value("session", std::string());
  if (sid.empty()) sid = "mcp-" + server;
  // A gateway the agent's harness started decides in the harness's session:
  // one session state across the agent's own tools and its MCP servers.
  bool fresh = false;
  if (std::string harness_sid = harness_session_of_gateway(sid, peer_pid, fresh); !harness_sid.empty()) {
    if (fresh)
      record(harness_sid, "mcp_link", "", "",
             dump_json(json{{"type", "mcp_link"},
                            {"session", harness_sid},
                            {"gateway_session", sid},
                            {"server", server},
                            {"ts", now}}),
             &err);
    sid = std::move(harness_sid);
  }
  std::string cwd_raw = h.value("cwd", std::string());
  std::string cwd = cwd_raw.empty() ? opts_.home : analyze::normalize_path(cwd_raw, "/", opts_.home, true);
  Entered en = enter(sid, "mcp", cwd, cwd, h.value("task_token", std::string()), h.value("agent", std::string()), now);
  session::Session& s = *en.session;
  session::Agent* agent = en.agent;
  if (std::find(agent->mcp_servers.begin(), agent->mcp_servers.end(), server) == agent->mcp_servers.end() &&
      agent->mcp_servers.size() < 256) {
    agent->mcp_servers.push_back(server);
    (void)store_->put_agent(*agent);
  }
  const pdp::Pdp& pdp = *pdp_;
  auto decision_request = [&] {
    pdp::Request req;
    req.session = &s;
    req.harness = "mcp";
    req.home = opts_.home;
    req.now_ms = now;
    req.task = task_of(s);
    req.agent = agent;
    apply_containment(req);
    return req;
  };

  try {
    if (kind == "event") {
      record(sid, "mcp_event", "", "",
             dump_json(json{{"type", "mcp_event"},
                            {"session", sid},
                            {"server", server},
                            {"event", body->value("event", std::string())},
                            {"detail", body->value("detail", std::string()).substr(0, 1024)},
                            {"bytes", body->value("bytes", int64_t{0})},
                            {"ts", now}}),
             &err);
      return reply_ok(json::object());
    }

    if (kind == "server") {
      auto pins = load_pins(server);
      if (!pins) return reply_error(pins.error().message);
      std::optional<mcp::Pin> current;
      for (auto& p : *pins)
        if (p.tool.empty()) current = p;
      auto def = mcp::server_definition(body->value("instructions", std::string()));
      if (auto upd = mcp::review_server(server, current, def, now)) {
        if (auto st = save_pin(*upd); !st) return reply_error(st.error().message);
        record(sid, "mcp_pin", "", "",
               dump_json(json{{"type", "mcp_pin"},
                              {"session", sid},
                              {"server", server},
                              {"change", current ? "instructions changed" : "pinned"},
                              {"before", current ? pin_record(*current) : json(nullptr)},
                              {"after", pin_record(*upd)},
                              {"server_info", body->value("server_info", json::object())},
                              {"protocol_version", body->value("protocol_version", std::string())},
                              {"ts", now}}),
               &err);
        detect_pin(sid, *upd, current ? &*current : nullptr, current ? "instructions changed" : "pinned");
        current = upd;
      }
      bool q = current && current->status != "approved";
      return reply_ok(json{{"quarantined", q}, {"reason", q ? current->reason : std::string()}});
    }

    if (kind == "tools") {
      auto tools = body->find("tools");
      if (tools == body->end() || !tools->is_array()) return reply_error("MCP tools review: expected `tools`");
      // Reviewed (and on first sight pinned) under the daemon's lock: a
      // bound keeps one server's listing from holding up every decision.
      constexpr size_t kMaxToolsPerListing = 1000;
      if (tools->size() > kMaxToolsPerListing)
        return reply_error("the MCP server `" + server + "` listed " + std::to_string(tools->size()) +
                           " tools in one page; Tollgate reviews at most " + std::to_string(kMaxToolsPerListing));
      auto pins = load_pins(server);
      if (!pins) return reply_error(pins.error().message);
      std::vector<mcp::ToolDefinition> defs;
      json verdicts = json::array();
      json removed = json::array();
      std::set<std::string> names;
      for (const auto& t : *tools) {
        auto d = mcp::tool_definition(dump_json(t));
        if (!d) {
          std::string name = t.is_object() && t.contains("name") && t["name"].is_string() ? t["name"].get<std::string>()
                                                                                          : std::string("?");
          removed.push_back({{"name", name}, {"reason", d.error().message}});
          continue;
        }
        if (!names.insert(d->name).second) {
          removed.push_back({{"name", d->name}, {"reason", "the server lists this tool name twice"}});
          continue;
        }
        defs.push_back(std::move(*d));
      }
      auto cont = body->find("continues_first");
      mcp::Review rv =
          mcp::review_tools(server, *pins, defs, now, cont != body->end() && cont->is_boolean() && cont->get<bool>());
      if (rv.server_update)
        if (auto st = save_pin(*rv.server_update); !st) return reply_error(st.error().message);
      for (const auto& u : rv.updates) {
        if (auto st = save_pin(u); !st) return reply_error(st.error().message);
        auto before = std::find_if(pins->begin(), pins->end(), [&](const mcp::Pin& p) { return p.tool == u.tool; });
        record(sid, "mcp_pin", "", "",
               dump_json(json{{"type", "mcp_pin"},
                              {"session", sid},
                              {"server", server},
                              {"tool", u.tool},
                              {"change", before == pins->end() ? "pinned" : "definition changed"},
                              {"before", before == pins->end() ? json(nullptr) : pin_record(*before)},
                              {"after", pin_record(u)},
                              {"ts", now}}),
               &err);
        detect_pin(sid, u, before == pins->end() ? nullptr : &*before,
                   before == pins->end() ? "pinned" : "definition changed");
      }
      pdp::Request req = decision_request();
      json kept = json::array();
      for (auto& v : rv.tools) {
        if (v.usable) {
          action::Action a;
          a.kind = action::Kind::McpList;
          a.tool = v.name;
          a.mcp_server = server;
          a.mcp_method = "tools/list";
          a.resource = server + "/" + v.name;
          a.summary = "list MCP tool " + a.resource;
          pdp::ActionDecision d = pdp.decide_one(a, req);
          if (!en.bind_error.empty() || d.effect == pdp::Effect::Deny) {
            v.usable = false;
            v.reason = en.bind_error.empty() ? d.reason : en.bind_error;
          }
        }
        if (v.usable)
          kept.push_back(v.name);
        else
          removed.push_back({{"name", v.name}, {"reason", v.reason}});
        verdicts.push_back({{"name", v.name}, {"usable", v.usable}, {"reason", v.reason}});
      }
      record(sid, "mcp_list", "", "",
             dump_json(json{{"type", "mcp_list"},
                            {"session", sid},
                            {"server", server},
                            {"listed", tools->size()},
                            {"kept", kept},
                            {"removed", removed},
                            {"pack", pdp.pack().hash},
                            {"ts", now}}),
             &err, &s);
      if (!err.empty()) return reply_error("Tollgate could not record this tool list (" + err + ")");
      return reply_ok(json{{"tools", std::move(verdicts)}, {"first_sight", rv.first_sight}});
    }

    if (kind == "call" || kind == "result") {
      std::string method = body->value("method", std::string());
      std::string name = body->value("name", std::string());
      std::string id = body->value("id", std::string());
      json args = body->value("arguments", json::object());
      if (args.is_string()) {  // results carry the arguments as JSON text
        auto parsed = parse_json(args.get<std::string>(), "MCP arguments", kMaxPayloadDepth);
        args = parsed && parsed->is_object() ? std::move(*parsed) : json::object();
      }
      bool server_request = action::is_mcp_server_request(method);
      if (method != "tools/call" && method != "resources/read" && method != "prompts/get" &&
          method != "resources/subscribe" && !server_request)
        return reply_error("MCP call: unknown method `" + method + "`");
      if (server_request && kind == "result") return reply_error("MCP result: `" + method + "` has no outcome");
      std::string tool_use_id = "mcp:" + server + ":" + id;
      std::optional<mcp::Pin> server_pin, tool_pin;
      if (method == "tools/call" || server_request) {
        auto pins = cached_pins(server);
        if (!pins) return reply_error(pins.error().message);
        for (const auto& p : **pins) {
          if (p.tool.empty()) server_pin = p;
          if (p.tool == name && !server_request) tool_pin = p;
        }
      }
      action::McpRequest mreq{server, method, name, dump_json(args), tool_pin ? tool_pin->read_only : std::nullopt,
                              name};
      action::Environment env{cwd, opts_.home, true, {}, {}};
      auto actions = action::mcp_actions(mreq, env);
      json rec = {{"session", sid},
                  {"harness", "mcp"},
                  {"server", server},
                  {"method", method},
                  {"tool", server + "/" + name},
                  {"tool_use_id", tool_use_id},
                  {"ts", now}};
      if (!s.task_id.empty()) rec["task"] = s.task_id;

      if (kind == "result") {
        // A multi-round-trip answer (2026-07-28) that asks the client for
        // input first: not the call's outcome yet, so no effects.
        bool interim = body->value("input_required", false);
        bool success = !interim && body->value("success", false);
        rec["type"] = "outcome";
        rec["success"] = success;
        if (interim) {
          rec["input_required"] = body->value("input_requests", json::array());
          record(sid, "outcome", tool_use_id, "input_required", dump_json(rec), &err, &s);
          return reply_ok(json::object());
        }
        std::set<std::string> sensitive;
        if (actions) {
          for (const auto& a : *actions) {
            std::vector<std::string> labels;
            session::Effects e = pdp.effects(a, &labels);
            for (const auto& l : labels)
              if (l == "secret" || l == "credentials" || l == "pii") sensitive.insert(l);
            // A tool error or a JSON-RPC error still reaches the model with
            // whatever the server wrote in it: untrusted input either way.
            // A failed call read nothing.
            if (!success) {
              e.labels_read.clear();
              e.secret_read = false;
              e.untrusted = true;
            }
            session::apply(s, e);
          }
        }
        if (sensitive.empty()) {
          rec["summary"] = body->value("summary", std::string()).substr(0, 512);
        } else {
          rec["summary"] = "";
          rec["withheld"] = sensitive;
        }
        record(sid, "outcome", tool_use_id, success ? "success" : "failure", dump_json(rec), &err, &s);
        detect_outcome(s, tool_use_id, server + "/" + name, success);
        return reply_ok(json::object());
      }

      auto start = std::chrono::steady_clock::now();
      pdp::Decision d;
      std::string blocker = method == "tools/call" ? mcp::call_blocker(server_pin, tool_pin) : std::string();
      if (server_request && server_pin && server_pin->status != "approved")
        blocker = "the MCP server `" + server + "` is quarantined (" + server_pin->reason +
                  "); it may not ask the client for anything until a person approves it with `tollgate mcp approve " +
                  server + "`";
      if (!en.bind_error.empty()) {
        d.effect = pdp::Effect::Deny;
        d.reason = en.bind_error;
      } else if (!blocker.empty()) {
        d.effect = pdp::Effect::Deny;
        d.reason = blocker;
      } else if (!actions) {
        d.effect = pdp::Effect::Deny;
        d.reason = actions.error().message;
      } else {
        d = pdp.decide(*actions, decision_request());
      }
      if (d.pack.empty()) d.pack = pdp.pack().hash;
      ++s.decisions;
      if (d.effect == pdp::Effect::Deny) ++s.denials;
      rec["type"] = "decision";
      rec["decision"] = pdp::effect_name(d.effect);
      rec["reason"] = d.reason;
      rec["pack"] = d.pack;
      rec["latency_us"] =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      json acts = json::array();
      for (const auto& ad : d.actions) acts.push_back(action_json(ad));
      rec["actions"] = std::move(acts);
      if (tool_pin) rec["definition_hash"] = tool_pin->hash;
      if (auto v = body->value("protocol_version", std::string()); !v.empty()) rec["protocol_version"] = v;
      record(sid, "decision", tool_use_id, std::string(pdp::effect_name(d.effect)), dump_json(rec), &err, &s);
      detect_decision(s, tool_use_id, server + "/" + name, d);
      if (!err.empty() && d.effect != pdp::Effect::Deny)
        return reply_verdict(action::Verdict::Deny, action::EventKind::PreTool, method,
                             "Tollgate could not record this decision (" + err + "); the call is denied");
      return reply_verdict(to_verdict(d.effect), action::EventKind::PreTool, method, d.reason);
    }
  } catch (const json::exception& e) {
    return reply_error(std::string("MCP gateway request: ") + e.what());
  }
  return reply_error("unknown MCP request kind `" + kind + "`");
}

}  // namespace tollgate::server
