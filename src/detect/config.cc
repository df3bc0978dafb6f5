// The "detect" member of the daemon's configuration (detect/detect.h,
// docs/detect.md, "Configuration").
#include <algorithm>

#include "base/suggest.h"
#include "detect/detect.h"

namespace tollgate::detect {

using nlohmann::json;

namespace {

constexpr int64_t kMaxThreshold = 1'000'000;
constexpr int64_t kMaxWindowS = 7 * 24 * 3600;

struct Spec {
  std::string_view name;
  Rule Config::*rule;
  std::string_view threshold;  // the threshold's member name; empty: none
  std::string_view agent;      // the agent-level threshold's; empty: none
  bool window;
};

constexpr Spec kSpecs[] = {
    {"probing", &Config::probing, "denials", "agent_denials", true},
    {"burst", &Config::burst, "actions", "agent_actions", true},
    {"scope_deviation", &Config::scope_deviation, "actions", "", true},
    {"privilege_accumulation", &Config::privilege_accumulation, "credential_requests", "", true},
    {"rug_pull", &Config::rug_pull, "", "", false},
    {"missing_enforcement", &Config::missing_enforcement, "", "", true},
};

constexpr std::string_view kResponses[] = {"alert", "revoke", "quarantine", "quarantine-agent", "kill"};

std::string did_you_mean(std::string_view key, const std::vector<std::string_view>& known) {
  auto s = nearest(key, known, [](std::string_view k) { return k; });
  return s ? "; did you mean `" + *s + "`?" : std::string();
}

Result<int64_t> whole(const json& v, const std::string& where, int64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > max)
    return Error(where + ": expected a whole number from 1 to " + std::to_string(max) + ", got " + v.dump());
  return v.get<int64_t>();
}

Result<std::vector<Response>> responses(const json& v, const std::string& where) {
  if (!v.is_array()) return Error(where + ": expected an array of responses (alert, revoke, quarantine, …)");
  std::vector<Response> out;
  for (const auto& r : v) {
    if (!r.is_string()) return Error(where + ": a response is a string, got " + r.dump());
    std::string s = r.get<std::string>();
    auto it = std::find(std::begin(kResponses), std::end(kResponses), s);
    if (it == std::end(kResponses))
      return Error(where + ": unknown response `" + s.substr(0, 64) + "`" +
                   did_you_mean(s, {std::begin(kResponses), std::end(kResponses)}) +
                   " (alert, revoke, quarantine, quarantine-agent, kill)");
    auto resp = static_cast<Response>(it - std::begin(kResponses));
    if (std::find(out.begin(), out.end(), resp) == out.end()) out.push_back(resp);
  }
  return out;
}

}  // namespace

Result<Config> parse_config(const json& j, const std::string& path) {
  Config cfg;
  if (!j.is_object()) return Error(path + ": `detect` must be an object of detector name → settings");
  std::vector<std::string_view> names;
  for (const auto& s : kSpecs) names.push_back(s.name);
  for (const auto& [name, body] : j.items()) {
    const Spec* spec = nullptr;
    for (const auto& s : kSpecs)
      if (s.name == name) spec = &s;
    std::string where = path + ": detect." + name;
    if (!spec) return Error(path + ": unknown detector `detect." + name + "`" + did_you_mean(name, names));
    if (!body.is_object()) return Error(where + ": expected an object");
    Rule& r = cfg.*(spec->rule);
    std::vector<std::string_view> known = {"enabled", "response"};
    if (spec->window) known.push_back("window");
    if (!spec->threshold.empty()) known.push_back(spec->threshold);
    if (!spec->agent.empty()) {
      known.push_back(spec->agent);
      known.push_back("agent_response");
    }
    for (const auto& [key, v] : body.items()) {
      std::string at = where + "." + key;
      if (std::find(known.begin(), known.end(), key) == known.end())
        return Error(path + ": unknown member `detect." + name + "." + key + "`" + did_you_mean(key, known));
      if (key == "enabled") {
        if (!v.is_boolean()) return Error(at + ": expected true or false, got " + v.dump());
        r.enabled = v.get<bool>();
      } else if (key == "response" || key == "agent_response") {
        auto rs = responses(v, at);
        if (!rs) return std::move(rs).error();
        (key == "response" ? r.responses : r.agent_responses) = std::move(*rs);
      } else if (key == "window") {
        auto w = whole(v, at + " (seconds)", kMaxWindowS);
        if (!w) return std::move(w).error();
        r.window_ms = *w * 1000;
      } else if (key == spec->threshold) {
        auto t = whole(v, at, kMaxThreshold);
        if (!t) return std::move(t).error();
        r.threshold = *t;
      } else {  // the agent-level threshold; 0 turns it off
        if (v.is_number_integer() && v.get<int64_t>() == 0) {
          r.agent_threshold = 0;
        } else {
          auto t = whole(v, at + " (0 turns it off)", kMaxThreshold);
          if (!t) return std::move(t).error();
          r.agent_threshold = *t;
        }
      }
    }
  }
  return cfg;
}

}  // namespace tollgate::detect
