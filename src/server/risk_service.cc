// An agent's computed risk tier in `agent show` and `agent list`
// (pdp/risk.h; docs/tasks.md, "Risk tier"). Computed on demand and kept
// until something it depends on changes: the decision point (a pack
// reload swaps it), the agent's status or tool connections, its live
// tasks, the configured credentials.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "mcp/pins.h"
#include "pdp/risk.h"
#include "server/daemon.h"

namespace tollgate::server {

using nlohmann::json;

namespace {

constexpr size_t kMaxRiskEntries = 10000;

bool live(const session::Task& t, int64_t now) { return !t.ended && (!t.expires_ms || now < t.expires_ms); }

}  // namespace

json Service::agent_with_risk(const session::Agent& a, const std::vector<session::Task>& tasks, int64_t now) {
  json out = json::parse(session::agent_json(a));
  pdp::RiskInput in;
  in.agent = &a;
  in.home = opts_.home;
  in.workspace = opts_.home + "/work";  // a stand-in project under the home directory
  in.now_ms = now;
  for (const auto& c : opts_.credentials) in.credentials.push_back(c.name);
  std::string inputs = a.status + "\n" + a.harness + "\n";
  for (const auto& t : tasks) {
    if (t.agent != a.id || !live(t, now)) continue;
    in.tasks.push_back(&t);
    // A change window opening or closing changes what the task allows.
    bool in_window = !t.window_start_ms || (now >= t.window_start_ms && now < t.window_end_ms);
    inputs += "task " + t.id + (in_window ? " in-window\n" : "\n");
  }
  // The MCP tools it has used: the tools pinned for each server it called.
  for (const auto& server : a.mcp_servers) {
    bool any = false;
    if (auto pins = store_->mcp_pins(server)) {
      for (const auto& body : *pins) {
        auto pin = mcp::load_pin_json(body);
        if (!pin || pin->tool.empty()) continue;
        in.mcp_tools.push_back(server + "/" + pin->tool);
        any = true;
      }
    }
    if (!any) in.mcp_tools.push_back(server + "/*");  // no pinned tools: the server as a whole
  }
  std::sort(in.mcp_tools.begin(), in.mcp_tools.end());
  for (const auto& t : in.mcp_tools) inputs += "mcp " + t + "\n";
  for (const auto& c : in.credentials) inputs += "cred " + c + "\n";

  auto it = risk_.find(a.id);
  if (it == risk_.end() || it->second.pdp != pdp_ || it->second.inputs != inputs) {
    pdp::RiskReport r = pdp::assess_risk(*pdp_, in);
    json reachable = json::array();
    for (const auto& p : r.reachable) {
      json j = {{"probe", p.probe},
                {"tier", pdp::risk_tier_name(p.tier)},
                {"effect", pdp::effect_name(p.effect)},
                {"summary", p.summary},
                {"policies", p.policies}};
      if (!p.task.empty()) j["task"] = p.task;
      reachable.push_back(std::move(j));
    }
    json report = {{"risk_tier", pdp::risk_tier_name(r.tier)},
                   {"risk_tier_if_approved", pdp::risk_tier_name(r.approved_tier)},
                   {"risk_reachable", std::move(reachable)},
                   {"risk_pack", pdp_->pack().hash}};
    if (risk_.size() >= kMaxRiskEntries) risk_.clear();
    it = risk_.insert_or_assign(a.id, RiskEntry{pdp_, inputs, dump_json(report)}).first;
  }
  json report = json::parse(it->second.report);
  for (auto& [k, v] : report.items()) out[k] = std::move(v);
  return out;
}

}  // namespace tollgate::server
