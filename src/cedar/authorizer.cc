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

void PolicySet::UidIndex::add(const EntityUID& key, const EntityUID* action, uint32_t instance, bool both) {
  if (2 * (entries_.size() + 1) > slots_.size()) grow();
  size_t mask = slots_.size() - 1;
  const void* act = action ? action->key() : nullptr;
  for (size_t i = key.hash() & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.entry == UINT32_MAX) {
      s = Slot{key.key(), static_cast<uint32_t>(entries_.size())};
      entries_.push_back({both ? Group{act, {}, {instance}} : Group{act, {instance}, {}}});
      hashes_.push_back(key.hash());
      return;
    }
    if (s.key != key.key()) continue;
    auto& groups = entries_[s.entry];
    for (auto& g : groups) {
      if (g.action != act) continue;
      auto& list = both ? g.both : g.instances;
      if (list.empty() || list.back() != instance) list.push_back(instance);  // `in [A, A]` files once
      return;
    }
    groups.push_back(both ? Group{act, {}, {instance}} : Group{act, {instance}, {}});
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

void PolicySet::UidIndex::prefetch(const EntityUID& key) const {
  __builtin_prefetch(&slots_[key.hash() & (slots_.size() - 1)]);
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
    if (const EntityUID* k = key(sc, slot)) d.key = k->key();
    d.eq = sc.kind == K::Eq;
    if (sc.kind == K::Is || sc.kind == K::IsIn) {
      auto [it, fresh] = types_.emplace(sc.type, static_cast<uint32_t>(types_.size() + 1));
      if (fresh) type_list_.push_back(sc.type);
      d.type = it->second;
    }
    return d;
  };
  ScopeFilter f;
  f.principal = dim(p.principal, inst.principal_slot);
  f.action = dim(p.action, std::nullopt);
  f.resource = dim(p.resource, inst.resource_slot);
  if (p.action.kind == K::InList) f.action_list = &p.action.list;
  filters_.push_back(f);
  codes_.push_back(program_.add(p));
  // An empty `action in []` never matches: such an instance is filed
  // nowhere and never a candidate. (Instances found in the index are not
  // checked against their action list again.)
  if (p.action.kind == K::InList && p.action.list.empty()) return;
  // The action entities the scope names; {nullptr} when it names none.
  std::vector<const EntityUID*> actions;
  if (p.action.kind == K::Eq || p.action.kind == K::In) {
    actions.push_back(&p.action.entity);
  } else if (p.action.kind == K::InList) {
    for (const auto& a : p.action.list) actions.push_back(&a);
  }
  if (actions.empty()) actions.push_back(nullptr);
  const EntityUID* pk = key(p.principal, inst.principal_slot);
  const EntityUID* rk = key(p.resource, inst.resource_slot);
  auto file = [&](UidIndex& idx, const EntityUID& k) {
    for (const EntityUID* a : actions) idx.add(k, a, i, pk && rk);
  };
  if (pk) file(by_principal_, *pk);
  if (rk) file(by_resource_, *rk);
  if (pk || rk) return;
  if (actions.front()) {
    for (const EntityUID* a : actions) by_action_.add(*a, nullptr, i, false);
  } else {
    unindexed_.push_back(i);
  }
}

namespace {

// One of the request's principal, action and resource, as the scope filter
// sees it.
struct RequestDim {
  const void* self;
  const UidSet* ancestors;  // null when the entity is not in the store
  uint32_t type;            // the number of its type name in the set's types_, or 0
  uint64_t sig = 0;         // a one-word Bloom filter of the ancestors' keys

  RequestDim(const EntityUID& uid, const Entities& ents, uint32_t type)
      : self(uid.key()), ancestors(nullptr), type(type) {
    if (const Entity* e = ents.find(uid)) {
      ancestors = &e->ancestors;
      for (const auto& a : *ancestors) sig |= bit(a.key());
    }
  }
  static uint64_t bit(const void* key) {
    return uint64_t{1} << ((reinterpret_cast<uintptr_t>(key) * 0x9E3779B97F4A7C15ull) >> 58);
  }
  // Most keys asked about are not ancestors: the filter turns them away
  // without a search.
  bool in(const void* key) const { return key == self || ((sig & bit(key)) != 0 && ancestors->contains_key(key)); }
};

}  // namespace

void PolicySet::candidates(const Request& req, const Entities& entities, std::vector<uint32_t>& out) const {
  out.clear();
  auto type_of = [&](const EntityUID& uid) -> uint32_t {
    const std::string& t = uid.type();
    if (type_list_.size() <= 8) {  // usually a handful: cheaper than hashing the name
      for (size_t i = 0; i < type_list_.size(); ++i) {
        if (type_list_[i].size() == t.size() && type_list_[i] == t) return static_cast<uint32_t>(i + 1);
      }
      return 0;
    }
    auto it = types_.find(t);
    return it == types_.end() ? 0 : it->second;
  };
  const RequestDim principal(req.principal, entities, type_of(req.principal)),
      action(req.action, entities, type_of(req.action)), resource(req.resource, entities, type_of(req.resource));
  auto ok = [&](const ScopeFilter::Dim& d, const RequestDim& r) {
    if (d.type && d.type != r.type) return false;
    if (!d.key) return true;
    return d.eq ? d.key == r.self : r.in(d.key);
  };
  // Whether the instance's scope matches, exactly (what the index found
  // may only match).
  auto may_match = [&](uint32_t i) {
    const ScopeFilter& f = filters_[i];
    if (!ok(f.principal, principal) || !ok(f.action, action) || !ok(f.resource, resource)) return false;
    if (f.action_list) {
      return std::any_of(f.action_list->begin(), f.action_list->end(),
                         [&](const EntityUID& a) { return action.in(a.key()); });
    }
    return true;
  };
  // The same for an instance found in a group of the request's action under
  // the entity or an ancestor of `side` (0 principal, 1 resource), where it
  // is filed under its constraint's entity: that dimension's entity and the
  // action's groups are known to match, what is left is `==` and `is`.
  auto matches_from = [&](uint32_t i, int side) {
    const ScopeFilter& f = filters_[i];
    const ScopeFilter::Dim& own = side == 0 ? f.principal : f.resource;
    const RequestDim& own_r = side == 0 ? principal : resource;
    if (own.type && own.type != own_r.type) return false;
    if (own.eq && own.key != own_r.self) return false;
    if (f.action.type && f.action.type != action.type) return false;
    if (f.action.eq && f.action.key != action.self) return false;
    return side == 0 ? ok(f.resource, resource) : ok(f.principal, principal);
  };
  // The entities an instance that may match is filed under: the request's
  // principal and its ancestors in by_principal_, its resource and its
  // ancestors in by_resource_. The index is read in stages, each one asking
  // for the memory the next one reads, so that in a large set (whose index
  // is no longer in the caches) the misses overlap instead of queueing.
  thread_local std::vector<std::pair<const std::vector<UidIndex::Group>*, int>> hits;
  thread_local std::vector<std::pair<const UidIndex::Group*, int>> groups;
  // What the index found: instance * 2 + the side it was found on.
  thread_local std::vector<uint32_t> found;
  hits.clear();
  groups.clear();
  found.clear();
  const UidIndex* index[2] = {&by_principal_, &by_resource_};
  const EntityUID* uid[2] = {&req.principal, &req.resource};
  const RequestDim* dim[2] = {&principal, &resource};
  for (int side = 0; side < 2; ++side) {
    if (index[side]->empty()) continue;
    index[side]->prefetch(*uid[side]);
    if (dim[side]->ancestors) {
      for (const auto& a : *dim[side]->ancestors) index[side]->prefetch(a);
    }
  }
  for (int side = 0; side < 2; ++side) {
    if (index[side]->empty()) continue;
    auto look_up = [&](const EntityUID& k) {
      if (const auto* gs = index[side]->find(k)) {
        __builtin_prefetch(gs->data());
        hits.emplace_back(gs, side);
      }
    };
    look_up(*uid[side]);
    if (dim[side]->ancestors) {
      for (const auto& a : *dim[side]->ancestors) look_up(a);
    }
  }
  // The groups of the request's action, its groups and "no action named"
  // (null). Instances filed on one side only are found there; those filed
  // on both are counted on each side.
  size_t both_size[2] = {0, 0};
  for (const auto& hit : hits) {
    for (const auto& g : *hit.first) {
      if (g.action && g.action != action.self && !action.in(g.action)) continue;
      __builtin_prefetch(g.instances.data());
      __builtin_prefetch(g.both.data());
      both_size[hit.second] += g.both.size();
      groups.emplace_back(&g, hit.second);
    }
  }
  // An instance filed on both sides matches only if it is found on both:
  // looking through the shorter side finds them all.
  const int both_side = both_size[1] < both_size[0] ? 1 : 0;
  for (const auto& [g, side] : groups) {
    for (uint32_t i : g->instances) found.push_back(i * 2 + side);
    if (side == both_side) {
      for (uint32_t i : g->both) found.push_back(i * 2 + side);
    }
  }
  // In a large set the filters of what was found are scattered and cold:
  // ask for all of them before looking at any, so that the misses overlap.
  for (uint32_t x : found) __builtin_prefetch(&filters_[x / 2]);
  for (uint32_t x : found) {
    if (matches_from(x / 2, static_cast<int>(x % 2))) out.push_back(x / 2);
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
