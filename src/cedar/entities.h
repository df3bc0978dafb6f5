// The entity store: entities with attributes, tags and parents, and the
// transitive ancestor relation that `in` consults. Built once (by
// json_data.h or by hand with add()/finalize()), then read-only: a finalized
// Entities may be read from many threads at once.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "cedar/value.h"

namespace tollgate::cedar {

// A set of entity uids kept as a flat array sorted by EntityUID::key():
// membership is a binary search over pointers, iteration is in no
// meaningful order.
class UidSet {
 public:
  UidSet() = default;
  // Takes any uids; sorts them and drops repeats.
  explicit UidSet(std::vector<EntityUID> uids);

  bool contains(const EntityUID& u) const { return contains_key(u.key()); }
  // Membership by EntityUID::key().
  bool contains_key(const void* key) const;
  size_t count(const EntityUID& u) const { return contains(u) ? 1 : 0; }
  size_t size() const { return uids_.size(); }
  bool empty() const { return uids_.empty(); }
  auto begin() const { return uids_.begin(); }
  auto end() const { return uids_.end(); }
  // Gives up the sorted array (to grow it into a larger set).
  std::vector<EntityUID> release() && { return std::move(uids_); }

 private:
  std::vector<EntityUID> uids_;
};

struct Entity {
  EntityUID uid;
  Value attrs = Value::record({});  // a Record
  Value tags = Value::record({});   // a Record
  std::vector<EntityUID> parents;   // direct parents, as given
  // Every ancestor (transitive closure of parents); filled by finalize().
  UidSet ancestors;
};

// The transitive closure is precomputed, so its size is bounded: a hostile
// chain of n entities would otherwise cost n²/2 pairs of memory.
inline constexpr size_t kMaxAncestorPairs = 4'000'000;

class Entities {
 public:
  // Adds an entity; an entity with the same uid is an error.
  Status add(Entity e);
  // Computes the transitive ancestors of every entity. Parents that are not
  // in the store still count as ancestors (Cedar semantics). A cycle in the
  // hierarchy is an error, as in Cedar; the ancestor sets are still filled.
  // More than kMaxAncestorPairs pairs in the closure is an error too.
  Status finalize();

  const Entity* find(const EntityUID& uid) const {
    auto it = map_.find(uid);
    return it == map_.end() ? nullptr : &it->second;
  }
  // `a in b` for entity references: a == b, or b is an ancestor of a.
  bool in(const EntityUID& a, const EntityUID& b) const {
    if (a == b) return true;
    const Entity* e = find(a);
    return e && e->ancestors.count(b) != 0;
  }
  size_t size() const { return map_.size(); }
  const std::unordered_map<EntityUID, Entity, EntityUIDHash>& all() const { return map_; }

 private:
  std::unordered_map<EntityUID, Entity, EntityUIDHash> map_;
};

}  // namespace tollgate::cedar
