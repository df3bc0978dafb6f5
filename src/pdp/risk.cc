#include "pdp/risk.h"

#include <algorithm>
#include <utility>

#include "action/action.h"

namespace tollgate::pdp {

using action::Action;
using action::Kind;

std::string_view risk_tier_name(RiskTier t) {
  switch (t) {
    case RiskTier::None: return "none";
    case RiskTier::Low: return "low";
    case RiskTier::Moderate: return "moderate";
    case RiskTier::High: return "high";
    case RiskTier::Critical: return "critical";
  }
  return "none";
}

namespace {

// How a probe is built: a shell command, or one action on a path (relative
// to the workspace, or `~/…`) or a host.
enum class Shape : uint8_t { Shell, Read, Write, Fetch, FetchAfterSecret };

struct FixedProbe {
  ProbeInfo info;
  Shape shape;
  std::string_view target;  // the command, path or host
};

// The fixed probes, lowest tier first (docs/tasks.md, "Risk tier").
const std::vector<FixedProbe>& fixed_probes() {
  static const std::vector<FixedProbe> probes = {
      {{"workspace-write", RiskTier::Low, "write a source file in the workspace"}, Shape::Write, "src/main.c"},
      {{"workspace-shell", RiskTier::Low, "run `make test` in the workspace"}, Shape::Shell, "make test"},
      {{"egress-any-host", RiskTier::Moderate, "fetch from a host outside the registries and forges"},
       Shape::Fetch,
       "risk-probe.example.net"},
      {{"read-dotenv", RiskTier::High, "read the workspace's .env"}, Shape::Read, ".env"},
      {{"write-home-dotfile", RiskTier::High, "write ~/.bashrc (outside the workspace)"}, Shape::Write, "~/.bashrc"},
      {{"write-system-file", RiskTier::High, "write /etc/profile.d/probe.sh (outside the workspace)"},
       Shape::Write,
       "/etc/profile.d/probe.sh"},
      {{"ci-config-write", RiskTier::High, "write .github/workflows/ci.yml"}, Shape::Write, ".github/workflows/ci.yml"},
      {{"force-push", RiskTier::High, "run `git push --force origin main`"},
       Shape::Shell,
       "git push --force origin main"},
      {{"infra-change", RiskTier::High, "run `terraform apply` (critical under a prod task: prod-change)"},
       Shape::Shell,
       "terraform apply -auto-approve"},
      {{"read-ssh-key", RiskTier::Critical, "read ~/.ssh/id_rsa"}, Shape::Read, "~/.ssh/id_rsa"},
      {{"egress-after-secret", RiskTier::Critical, "fetch from an arbitrary host after the session read a secret"},
       Shape::FetchAfterSecret,
       "risk-probe.example.net"},
      {{"destroy-home", RiskTier::Critical, "run `rm -rf ~`"}, Shape::Shell, "rm -rf ~"},
  };
  return probes;
}

std::string resolve(std::string_view target, const std::string& ws, const std::string& home) {
  if (target.starts_with("/")) return std::string(target);
  if (target.starts_with("~/")) return home + std::string(target.substr(1));
  return ws + "/" + std::string(target);
}

Action file_action(Kind k, std::string path, std::string_view summary) {
  Action a;
  a.kind = k;
  a.path = a.resource = std::move(path);
  a.tool = k == Kind::FileRead ? "Read" : "Write";
  a.summary = std::string(summary);
  return a;
}

Action fetch_action(std::string_view host) {
  Action a;
  a.kind = Kind::NetFetch;
  a.host = a.resource = std::string(host);
  a.url = "https://" + a.host + "/";
  a.tool = "WebFetch";
  a.summary = "fetch " + a.url;
  return a;
}

struct Probe {
  std::string id;
  RiskTier tier;
  std::string summary;
  std::vector<Action> actions;
  bool after_secret = false;
};

std::vector<Probe> probes_for(const RiskInput& in, const session::Task* task, const std::string& ws) {
  std::vector<Probe> out;
  action::Environment env{ws, in.home, false, {}, {}};
  for (const auto& f : fixed_probes()) {
    Probe p{std::string(f.info.id), f.info.tier, std::string(f.info.summary), {}, false};
    switch (f.shape) {
      case Shape::Shell: p.actions = action::shell_actions(f.target, "Bash", env); break;
      case Shape::Read:
        p.actions = {file_action(Kind::FileRead, resolve(f.target, ws, in.home), f.info.summary)};
        break;
      case Shape::Write:
        p.actions = {file_action(Kind::FileWrite, resolve(f.target, ws, in.home), f.info.summary)};
        break;
      case Shape::Fetch: p.actions = {fetch_action(f.target)}; break;
      case Shape::FetchAfterSecret:
        p.actions = {fetch_action(f.target)};
        p.after_secret = true;
        break;
    }
    if (p.id == "infra-change" && task && task->environment == "prod") {
      p.id = "prod-change";
      p.tier = RiskTier::Critical;
      p.summary = "run `terraform apply` under a prod task";
    }
    out.push_back(std::move(p));
  }
  for (const auto& name : in.credentials) {
    Action a;
    a.kind = Kind::CredRequest;
    a.resource = name;
    a.tool = "cred";
    a.summary = "tollgate cred get " + name;
    out.push_back({"cred-request:" + name, RiskTier::High, "request the credential `" + name + "`", {a}, false});
  }
  for (const auto& tool : in.mcp_tools) {
    Action a;
    a.kind = Kind::McpCall;
    a.resource = tool;
    a.mcp_server = tool.substr(0, tool.find('/'));
    a.mcp_method = "tools/call";
    a.tool = "mcp__" + a.mcp_server;
    a.summary = "call MCP tool " + tool;
    out.push_back({"mcp-call:" + tool, RiskTier::Moderate, "call the MCP tool `" + tool + "`", {a}, false});
  }
  return out;
}

RiskTier lower(RiskTier t) { return t == RiskTier::None ? t : static_cast<RiskTier>(static_cast<uint8_t>(t) - 1); }

}  // namespace

const std::vector<ProbeInfo>& risk_probes() {
  static const std::vector<ProbeInfo> infos = [] {
    std::vector<ProbeInfo> v;
    for (const auto& f : fixed_probes()) v.push_back(f.info);
    v.push_back({"prod-change", RiskTier::Critical, "run `terraform apply` under a task whose environment is prod"});
    v.push_back({"cred-request:NAME", RiskTier::High, "request each configured credential"});
    v.push_back({"mcp-call:SERVER/TOOL", RiskTier::Moderate, "call each MCP tool the agent has used"});
    return v;
  }();
  return infos;
}

RiskReport assess_risk(const Pdp& pdp, const RiskInput& in) {
  RiskReport r;
  const session::Agent& agent = *in.agent;
  std::vector<const session::Task*> contexts = {nullptr};
  contexts.insert(contexts.end(), in.tasks.begin(), in.tasks.end());
  for (const session::Task* task : contexts) {
    std::string ws = task && !task->repos.empty() ? task->repos.front() : in.workspace;
    for (auto& p : probes_for(in, task, ws)) {
      // A fresh session of the agent's own for each probe: only the egress
      // probe's session has read a secret.
      session::Session s;
      s.id = "risk-probe";
      s.harness = agent.harness;
      s.agent = agent.id;
      s.cwd = ws;
      if (task) s.task_id = task->id;
      if (p.after_secret) {
        s.secrets_read = 1;
        s.labels_read = {"secret"};
      }
      Request req;
      req.session = &s;
      req.task = task;
      req.agent = &agent;
      req.harness = agent.harness;
      req.home = in.home;
      req.now_ms = in.now_ms;
      if (p.actions.empty()) continue;
      Decision d = pdp.decide(p.actions, req);
      r.decisions += static_cast<int>(p.actions.size());
      if (d.effect == Effect::Deny) continue;
      ProbeResult pr{p.id, p.tier, d.effect, task ? task->id : std::string(), p.summary, {}};
      for (const auto& ad : d.actions)
        for (const auto& pol : ad.policies)
          if (std::find(pr.policies.begin(), pr.policies.end(), pol) == pr.policies.end()) pr.policies.push_back(pol);
      // One entry per probe: the context that reaches it most freely (no
      // task first).
      auto it = std::find_if(r.reachable.begin(), r.reachable.end(), [&](const auto& x) { return x.probe == p.id; });
      if (it == r.reachable.end()) {
        r.reachable.push_back(std::move(pr));
      } else if (it->effect == Effect::Ask && pr.effect == Effect::Allow) {
        *it = std::move(pr);
      }
    }
  }
  for (const auto& pr : r.reachable) {
    r.approved_tier = std::max(r.approved_tier, pr.tier);
    r.tier = std::max(r.tier, pr.effect == Effect::Allow ? pr.tier : lower(pr.tier));
  }
  std::stable_sort(r.reachable.begin(), r.reachable.end(),
                   [](const auto& a, const auto& b) { return a.tier > b.tier; });
  return r;
}

}  // namespace tollgate::pdp
