#include "pdp/pack_test.h"

#include <algorithm>

#include "action/action.h"
#include "base/json.h"

namespace tollgate::pdp {

using nlohmann::json;

namespace {

constexpr int64_t kTestNow = 1'780'000'000'000;  // a fixed clock: 2026-05-28T20:26:40Z

template <class T>
Result<T> field(const json& c, const char* key, T fallback) {
  auto it = c.find(key);
  if (it == c.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return Error(std::string("`") + key + "` has the wrong type");
  }
}

Result<CaseResult> run_case(const std::shared_ptr<const policy::Pack>& pack, const json& c, size_t index,
                            const std::string& file) {
  CaseResult r;
  r.file = file;
  if (!c.is_object()) return Error("case " + std::to_string(index) + ": expected an object");
  auto name = field<std::string>(c, "name", "case " + std::to_string(index));
  if (!name) return std::move(name).error();
  r.name = *name;
  auto fail = [&](const std::string& msg) -> Error { return Error(r.name + ": " + msg); };
  auto harness_name = field<std::string>(c, "harness", "claude-code");
  auto tool = field<std::string>(c, "tool", "");
  auto cwd = field<std::string>(c, "cwd", "/home/dev/project");
  auto home = field<std::string>(c, "home", "/home/dev");
  auto expect = field<std::string>(c, "expect", "");
  for (auto* f : {&harness_name, &tool, &cwd, &home, &expect})
    if (!*f) return fail(f->error().message);
  auto harness = action::parse_harness(*harness_name);
  if (!harness) return fail("unknown harness `" + *harness_name + "`");
  if (tool->empty()) return fail("no `tool`");
  if (*expect != "allow" && *expect != "deny" && *expect != "ask") return fail("`expect` must be allow, deny or ask");
  r.expected = *expect;

  session::Session s;
  s.id = "test-session";
  s.harness = *harness_name;
  s.agent = "test-agent";
  s.cwd = *cwd;
  if (auto it = c.find("session"); it != c.end()) {
    if (!it->is_object()) return fail("`session` must be an object");
    if (auto st = session::load_state_json(s, dump_json(*it)); !st) return fail(st.error().message);
  }
  session::Task task;
  bool has_task = false;
  if (auto it = c.find("task"); it != c.end()) {
    if (!it->is_object()) return fail("`task` must be an object");
    has_task = true;
    try {
      task.id = it->value("id", std::string("test-task"));
      task.ticket = it->value("ticket", std::string());
      task.repos = it->value("repos", std::vector<std::string>{});
      task.environment = it->value("environment", std::string());
      task.grants = it->value("grants", std::vector<std::string>{});
      if (!it->value("in_window", true)) {
        task.window_start_ms = kTestNow + 3'600'000;
        task.window_end_ms = kTestNow + 7'200'000;
      }
    } catch (const json::exception& e) {
      return fail(std::string("`task`: ") + e.what());
    }
  }

  action::HookEvent ev;
  ev.harness = *harness;
  ev.kind = action::EventKind::PreTool;
  ev.tool_name = *tool;
  ev.cwd = *cwd;
  auto in = c.find("input");
  ev.tool_input = in == c.end() ? "{}" : dump_json(*in);
  action::Environment env{*cwd, *home, false, {}, {}};
  Pdp pdp(pack, session::LabelTable::defaults(*home), Protected{{"/home/dev/.local/state/tollgate"}, {"tollgate"}, {}});
  Request req;
  req.session = &s;
  req.task = has_task ? &task : nullptr;
  req.harness = *harness_name;
  req.home = *home;
  req.now_ms = kTestNow;
  req.approved = c.value("approved", false);
  Decision d;
  if (auto actions = action::to_actions(ev, env)) {
    d = pdp.decide(*actions, req);
  } else {
    d.effect = Effect::Deny;
    d.reason = actions.error().message;
  }
  r.actual = std::string(effect_name(d.effect));
  r.detail = d.reason;
  r.passed = r.actual == r.expected;
  if (auto it = c.find("policies"); r.passed && it != c.end()) {
    std::vector<std::string> want;
    try {
      want = it->get<std::vector<std::string>>();
    } catch (const json::exception&) {
      return fail("`policies` must be an array of policy ids");
    }
    // The policies that decided: those of the actions with the final effect.
    std::vector<std::string> got;
    for (const auto& ad : d.actions)
      if (ad.effect == d.effect) got.insert(got.end(), ad.policies.begin(), ad.policies.end());
    for (const auto& w : want) {
      if (std::find(got.begin(), got.end(), w) == got.end()) {
        r.passed = false;
        std::string list;
        for (const auto& g : got) list += (list.empty() ? "" : ", ") + g;
        r.detail = "expected policy `" + w + "` among the deciding policies, got [" + list + "]";
      }
    }
  }
  return r;
}

}  // namespace

Result<std::vector<CaseResult>> run_pack_tests(const std::shared_ptr<const policy::Pack>& pack, std::string_view text,
                                               const std::string& file) {
  auto j = parse_json(text, file, 32);
  if (!j) return std::move(j).error();
  if (!j->is_array()) return Error(file + ": a test file is a JSON array of cases");
  std::vector<CaseResult> out;
  for (size_t i = 0; i < j->size(); ++i) {
    auto r = run_case(pack, (*j)[i], i, file);
    if (!r) return Error(file + ": " + r.error().message);
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace tollgate::pdp
