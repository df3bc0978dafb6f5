#include "cedar/authorizer.h"

#include <algorithm>

namespace tollgate::cedar {

Status PolicySet::add(std::shared_ptr<const Policy> p) {
  if (ids_.count(p->id)) return Error("duplicate policy id `" + p->id + "`");
  bool tmpl = p->is_template();
  ids_[p->id] = tmpl ? 2 : 1;
  policies_.push_back(p);
  if (!tmpl) {
    instances_.push_back({p->id, std::move(p), std::nullopt, std::nullopt});
    index(static_cast<uint32_t>(instances_.size() - 1));
  }
  return {};
}

const std::shared_ptr<const Policy>* PolicySet::find_template(const std::string& id) const {
  for (const auto& p : policies_) {
    if (p->id == id && p->is_template()) return &p;
  }
  return nullptr;
}

Status PolicySet::link(const std::string& template_id, const std::string& new_id, std::optional<EntityUID> principal,
                       std::optional<EntityUID> resource) {
  const auto* t = find_template(template_id);
  if (!t) {
    if (ids_.count(template_id)) return Error("`" + template_id + "` is a static policy, not a template");
    return Error("no template with id `" + template_id + "`");
  }
  if (ids_.count(new_id)) return Error("duplicate policy id `" + new_id + "`");
  const Policy& p = **t;
  if (p.principal.slot != principal.has_value()) {
    return Error(p.principal.slot ? "template `" + template_id + "` needs a value for ?principal"
                                  : "template `" + template_id + "` has no ?principal slot");
  }
  if (p.resource.slot != resource.has_value()) {
    return Error(p.resource.slot ? "template `" + template_id + "` needs a value for ?resource"
                                 : "template `" + template_id + "` has no ?resource slot");
  }
  ids_[new_id] = 1;
  instances_.push_back({new_id, *t, std::move(principal), std::move(resource)});
  index(static_cast<uint32_t>(instances_.size() - 1));
  return {};
}

void PolicySet::index(uint32_t i) {
  const PolicyInstance& inst = instances_[i];
  const Policy& p = *inst.policy;
  using K = ScopeConstraint::Kind;
  auto key = [](const ScopeConstraint& sc, const std::optional<EntityUID>& slot) -> const EntityUID* {
    if (sc.kind != K::Eq && sc.kind != K::In && sc.kind != K::IsIn) return nullptr;
    return sc.slot ? &*slot : &sc.entity;
  };
  if (const EntityUID* k = key(p.principal, inst.principal_slot)) {
    by_principal_[*k].push_back(i);
  } else if (const EntityUID* r = key(p.resource, inst.resource_slot)) {
    by_resource_[*r].push_back(i);
  } else if (p.action.kind == K::Eq || p.action.kind == K::In) {
    by_action_[p.action.entity].push_back(i);
  } else {
    unindexed_.push_back(i);
  }
}

void PolicySet::candidates(const Request& req, const Entities& entities, std::vector<uint32_t>& out) const {
  out.clear();
  out.insert(out.end(), unindexed_.begin(), unindexed_.end());
  auto probe = [&](const Index& idx, const EntityUID& uid) {
    if (idx.empty()) return;
    if (auto it = idx.find(uid); it != idx.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    if (const Entity* e = entities.find(uid)) {
      for (const auto& a : e->ancestors) {
        if (auto it = idx.find(a); it != idx.end()) out.insert(out.end(), it->second.begin(), it->second.end());
      }
    }
  };
  probe(by_principal_, req.principal);
  probe(by_resource_, req.resource);
  probe(by_action_, req.action);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // cyclic hierarchies can repeat keys
}

Response authorize(const PolicySet& policies, const Request& req, const Entities& entities) {
  thread_local std::vector<uint32_t> cand;
  policies.candidates(req, entities, cand);
  Response resp;
  std::vector<std::string> permits, forbids;
  for (uint32_t i : cand) {
    const PolicyInstance& inst = policies.instances()[i];
    auto r = satisfied(inst, req, entities);
    if (!r) {
      resp.errors.push_back({inst.id, r.error().message});
      continue;
    }
    if (!*r) continue;
    (inst.policy->effect == Effect::Permit ? permits : forbids).push_back(inst.id);
  }
  if (!forbids.empty()) {
    resp.allow = false;
    resp.reason = std::move(forbids);
  } else if (!permits.empty()) {
    resp.allow = true;
    resp.reason = std::move(permits);
  }
  return resp;
}

}  // namespace tollgate::cedar
