#include "cedar/authorizer.h"

#include <algorithm>
#include <utility>

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

void PolicySet::UidIndex::add(const EntityUID& key, const EntityUID* action, uint32_t instance) {
  if (2 * (entries_.size() + 1) > slots_.size()) grow();
  size_t mask = slots_.size() - 1;
  const void* act = action ? action->key() : nullptr;
  for (size_t i = key.hash() & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.entry == UINT32_MAX) {
      s = Slot{key.key(), static_cast<uint32_t>(entries_.size())};
      entries_.push_back({Group{act, {instance}}});
      hashes_.push_back(key.hash());
      return;
    }
    if (s.key != key.key()) continue;
    auto& groups = entries_[s.entry];
    for (auto& g : groups) {
      if (g.action != act) continue;
      if (g.instances.back() != instance) g.instances.push_back(instance);  // `in [A, A]` files once
      return;
    }
    groups.push_back(Group{act, {instance}});
    return;
  }
}

void PolicySet::UidIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
  size_t mask = slots_.size() - 1;
  for (const auto& o : old) {
    if (o.entry == UINT32_MAX) continue;
    size_t i = hashes_[o.entry] & mask;
    while (slots_[i].entry != UINT32_MAX) i = (i + 1) & mask;
    slots_[i] = o;
  }
}

const std::vector<PolicySet::UidIndex::Group>* PolicySet::UidIndex::find(const EntityUID& key) const {
  if (slots_.empty()) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = key.hash() & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.entry == UINT32_MAX) return nullptr;
    if (s.key == key.key()) return &entries_[s.entry];
  }
}

namespace {

size_t hash_type(std::string_view type) { return std::hash<std::string_view>{}(type); }

}  // namespace

void PolicySet::index(uint32_t i) {
  const PolicyInstance& inst = instances_[i];
  const Policy& p = *inst.policy;
  using K = ScopeConstraint::Kind;
  auto key = [](const ScopeConstraint& sc, const std::optional<EntityUID>& slot) -> const EntityUID* {
    if (sc.kind != K::Eq && sc.kind != K::In && sc.kind != K::IsIn) return nullptr;
    return sc.slot ? &*slot : &sc.entity;
  };
  auto dim = [&](const ScopeConstraint& sc, const std::optional<EntityUID>& slot) {
    ScopeFilter::Dim d;
    d.kind = sc.kind;
    if (const EntityUID* k = key(sc, slot)) d.key = k->key();
    if (sc.kind == K::Is || sc.kind == K::IsIn) d.type_hash = hash_type(sc.type);
    return d;
  };
  ScopeFilter f;
  f.principal = dim(p.principal, inst.principal_slot);
  f.action = dim(p.action, std::nullopt);
  f.resource = dim(p.resource, inst.resource_slot);
  if (p.action.kind == K::InList) f.action_list = &p.action.list;
  // The action entities the scope names; {nullptr} when it names none (an
  // empty `in []` never matches, but filing it under none is harmless).
  std::vector<const EntityUID*> actions;
  if (p.action.kind == K::Eq || p.action.kind == K::In) {
    actions.push_back(&p.action.entity);
  } else if (p.action.kind == K::InList) {
    for (const auto& a : p.action.list) actions.push_back(&a);
  }
  if (actions.empty()) actions.push_back(nullptr);
  auto file = [&](UidIndex& idx, const EntityUID& k) {
    for (const EntityUID* a : actions) idx.add(k, a, i);
  };
  if (const EntityUID* k = key(p.principal, inst.principal_slot)) {
    file(by_principal_, *k);
    f.need |= 1;
  }
  if (const EntityUID* k = key(p.resource, inst.resource_slot)) {
    file(by_resource_, *k);
    f.need |= 2;
  }
  filters_.push_back(f);
  if (f.need != 0) return;
  if (actions.front()) {
    for (const EntityUID* a : actions) by_action_.add(*a, nullptr, i);
  } else {
    unindexed_.push_back(i);
  }
}

namespace {

// Per-thread marks for intersecting the principal and resource scopes:
// stamp[i] >> 2 is the request (epoch) that last touched instance i, and
// its low two bits the indexes it was found in for that request. Stamping
// avoids clearing an array the size of the policy set on every request.
struct Marks {
  std::vector<uint32_t> stamp;
  std::vector<uint32_t> touched;
  uint32_t epoch = 0;

  void begin(size_t n) {
    if (stamp.size() < n) stamp.resize(n, 0);
    if (++epoch >= (1u << 30)) {
      std::fill(stamp.begin(), stamp.end(), 0);
      epoch = 1;
    }
    touched.clear();
  }
  void mark(uint32_t i, uint32_t bit) {
    uint32_t& s = stamp[i];
    if ((s >> 2) != epoch) {
      s = (epoch << 2) | bit;
      touched.push_back(i);
    } else {
      s |= bit;
    }
  }
};

// One of the request's principal, action and resource, as the scope filter
// sees it.
struct RequestDim {
  const void* self;
  const UidSet* ancestors;  // null when the entity is not in the store
  size_t type_hash;

  RequestDim(const EntityUID& uid, const Entities& ents)
      : self(uid.key()), ancestors(nullptr), type_hash(hash_type(uid.type())) {
    if (const Entity* e = ents.find(uid)) ancestors = &e->ancestors;
  }
  bool in(const void* key) const { return key == self || (ancestors && ancestors->contains_key(key)); }
};

}  // namespace

void PolicySet::candidates(const Request& req, const Entities& entities, std::vector<uint32_t>& out) const {
  out.clear();
  const RequestDim principal(req.principal, entities), action(req.action, entities), resource(req.resource, entities);
  // Rejects only what cannot match; the evaluator checks the scope exactly.
  auto may_match = [&](uint32_t i) {
    using K = ScopeConstraint::Kind;
    const ScopeFilter& f = filters_[i];
    auto ok = [](const ScopeFilter::Dim& d, const RequestDim& r) {
      switch (d.kind) {
        case K::Eq: return d.key == r.self;
        case K::In: return r.in(d.key);
        case K::Is: return d.type_hash == r.type_hash;
        case K::IsIn: return d.type_hash == r.type_hash && r.in(d.key);
        default: return true;  // Any; InList below
      }
    };
    if (!ok(f.principal, principal) || !ok(f.action, action) || !ok(f.resource, resource)) return false;
    if (f.action_list) {
      return std::any_of(f.action_list->begin(), f.action_list->end(),
                         [&](const EntityUID& a) { return action.in(a.key()); });
    }
    return true;
  };
  thread_local Marks marks;
  marks.begin(instances_.size());
  // The keys of the request's action and its groups, and null for "no
  // action named": the groups an instance that may match is filed in.
  thread_local std::vector<const void*> actions;
  actions.clear();
  actions.push_back(nullptr);
  actions.push_back(req.action.key());
  if (action.ancestors) {
    for (const auto& a : *action.ancestors) actions.push_back(a.key());
  }
  // `uid` and every ancestor of it: the entities an instance that may
  // match is filed under.
  auto probe = [&](const UidIndex& idx, const EntityUID& uid, const RequestDim& r, uint32_t bit) {
    if (idx.empty()) return;
    auto take = [&](const EntityUID& k) {
      const auto* groups = idx.find(k);
      if (!groups) return;
      for (const auto& g : *groups) {
        if (std::find(actions.begin(), actions.end(), g.action) == actions.end()) continue;
        for (uint32_t i : g.instances) marks.mark(i, bit);
      }
    };
    take(uid);
    if (r.ancestors) {
      for (const auto& a : *r.ancestors) take(a);
    }
  };
  probe(by_principal_, req.principal, principal, 1);
  probe(by_resource_, req.resource, resource, 2);
  for (uint32_t i : marks.touched) {
    if ((marks.stamp[i] & 3) == filters_[i].need && may_match(i)) out.push_back(i);
  }
  for (uint32_t i : unindexed_) {
    if (may_match(i)) out.push_back(i);
  }
  auto take_action = [&](const EntityUID& a) {
    if (const auto* groups = by_action_.find(a)) {
      for (uint32_t i : groups->front().instances) {
        if (may_match(i)) out.push_back(i);
      }
    }
  };
  if (!by_action_.empty()) {
    take_action(req.action);
    if (action.ancestors) {
      for (const auto& a : *action.ancestors) take_action(a);
    }
  }
  std::sort(out.begin(), out.end());
  // An action filed under several of the request's groups, or a cyclic
  // hierarchy, can find one instance twice.
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace tollgate::cedar
