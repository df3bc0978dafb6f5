#include "cedar/entities.h"

#include <algorithm>
#include <unordered_set>

namespace tollgate::cedar {

namespace {

bool key_less(const EntityUID& a, const EntityUID& b) { return a.key() < b.key(); }

}  // namespace

UidSet::UidSet(std::vector<EntityUID> uids) : uids_(std::move(uids)) {
  std::sort(uids_.begin(), uids_.end(), key_less);
  uids_.erase(std::unique(uids_.begin(), uids_.end()), uids_.end());
}

bool UidSet::contains_key(const void* k) const {
  // Ancestor sets are short (a dozen entries in deep hierarchies); a
  // branch-light binary search over the keys.
  const EntityUID* lo = uids_.data();
  size_t n = uids_.size();
  while (n > 1) {
    size_t half = n / 2;
    if (lo[half].key() <= k) lo += half;
    n -= half;
  }
  return n == 1 && lo->key() == k;
}

Status Entities::add(Entity e) {
  EntityUID uid = e.uid;
  if (!map_.emplace(uid, std::move(e)).second) {
    return Error("duplicate entity " + uid.str());
  }
  return {};
}

Status Entities::finalize() {
  // Iterative DFS from each entity over parent edges; memoised closures make
  // this linear in the size of the result for DAGs, and cycles terminate
  // because each walk keeps its own visited set.
  enum class State : uint8_t { New, Active, Done };
  std::unordered_map<EntityUID, State, EntityUIDHash> state;
  state.reserve(map_.size());
  for (auto& [uid, ent] : map_) state.emplace(uid, State::New);

  std::vector<std::pair<Entity*, size_t>> stack;
  bool cyclic = false;
  size_t total = 0;
  EntityUID cycle_at;
  for (auto& [root_uid, root] : map_) {
    if (state[root_uid] != State::New) continue;
    stack.push_back({&root, 0});
    state[root_uid] = State::Active;
    while (!stack.empty()) {
      auto& [ent, next] = stack.back();
      if (next < ent->parents.size()) {
        const EntityUID& p = ent->parents[next++];
        auto it = map_.find(p);
        if (it == map_.end()) continue;
        State& s = state[p];
        if (s == State::New) {
          s = State::Active;
          stack.push_back({&it->second, 0});
        } else if (s == State::Active) {
          cyclic = true;
          cycle_at = p;
        }
        continue;
      }
      // All parents done: ancestors = parents ∪ their ancestors.
      std::vector<EntityUID> anc;
      size_t distinct = 0;  // anc[0, distinct) is sorted and free of repeats
      for (const auto& p : ent->parents) {
        anc.push_back(p);
        auto it = map_.find(p);
        if (it != map_.end() && &it->second != ent) {
          anc.insert(anc.end(), it->second.ancestors.begin(), it->second.ancestors.end());
        }
        // Parents' sets overlap heavily; squeeze the repeats out now and then
        // so many parents sharing one large closure cost no more memory than
        // the closure itself.
        if (anc.size() > 2 * distinct + 4096) {
          anc = UidSet(std::move(anc)).release();
          distinct = anc.size();
          if (distinct > kMaxAncestorPairs) break;
        }
      }
      ent->ancestors = UidSet(std::move(anc));
      total += ent->ancestors.size();
      if (total > kMaxAncestorPairs) {
        for (auto& [u, e] : map_) e.ancestors = UidSet();
        return Error("the entity hierarchy is too large: more than " + std::to_string(kMaxAncestorPairs) +
                     " (entity, ancestor) pairs");
      }
      state[ent->uid] = State::Done;
      stack.pop_back();
    }
  }
  if (!cyclic) return {};
  total = 0;
  // With cycles the memoised pass can miss ancestors reached through an
  // entity still on the stack; finish with a plain per-entity search.
  for (auto& [uid, ent] : map_) {
    std::vector<const EntityUID*> work;
    for (const auto& p : ent.parents) work.push_back(&p);
    std::unordered_set<EntityUID, EntityUIDHash> seen;
    while (!work.empty()) {
      const EntityUID* p = work.back();
      work.pop_back();
      if (!seen.insert(*p).second) continue;
      auto it = map_.find(*p);
      if (it == map_.end()) continue;
      for (const auto& q : it->second.parents) work.push_back(&q);
    }
    total += seen.size();
    ent.ancestors = UidSet(std::vector<EntityUID>(seen.begin(), seen.end()));
    if (total > kMaxAncestorPairs) break;
  }
  return Error("the entity hierarchy has a cycle through " + cycle_at.str());
}

}  // namespace tollgate::cedar
