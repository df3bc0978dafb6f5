// Policy sets, requests and the authorizer. A PolicySet holds static
// policies, templates and template links, indexed by scope so that a request
// only evaluates the policies whose scope can match it. Authorization
// follows Cedar: forbid overrides permit, default deny, a policy whose
// condition errors is skipped and reported.
//
// Thread-safety: a PolicySet is immutable once built (add/link are for
// construction only); authorize() may be called concurrently on one set.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "cedar/ast.h"
#include "cedar/entities.h"
#include "cedar/program.h"
#include "cedar/value.h"

namespace tollgate::cedar {

struct Request {
  EntityUID principal;
  EntityUID action;
  EntityUID resource;
  Value context = Value::record({});  // a Record
};

// One policy ready to evaluate: a static policy, or a template link with its
// slots bound.
struct PolicyInstance {
  std::string id;
  std::shared_ptr<const Policy> policy;
  std::optional<EntityUID> principal_slot;
  std::optional<EntityUID> resource_slot;
};

class PolicySet {
 public:
  // Adds a static policy or a template; its id must be new.
  Status add(std::shared_ptr<const Policy> p);
  // Links a template: binds ?principal and/or ?resource (exactly the slots
  // the template has) under a new id.
  Status link(const std::string& template_id, const std::string& new_id, std::optional<EntityUID> principal,
              std::optional<EntityUID> resource);

  // Everything that is evaluated: static policies and links, in order.
  const std::vector<PolicyInstance>& instances() const { return instances_; }
  const std::shared_ptr<const Policy>* find_template(const std::string& id) const;
  const std::vector<std::shared_ptr<const Policy>>& policies() const { return policies_; }

  // Indices of the instances whose scope matches the request, in
  // increasing order (exactly those: authorize() does not check the scope
  // again).
  void candidates(const Request& req, const Entities& entities, std::vector<uint32_t>& out) const;

  // The instances' conditions, compiled (program.h); codes()[i] is the code
  // of instances()[i].
  const Program& program() const { return program_; }
  const std::vector<Program::Code>& codes() const { return codes_; }

 private:
  // An open-addressing hash table from an entity uid (by identity, see
  // EntityUID::key) to the instances filed under it, grouped by a second,
  // optional uid (the action). Looking up an entity touches one small table
  // and one short array of groups, which matters when the policy set no
  // longer fits in the caches. The uids are owned by the set's policies.
  class UidIndex {
   public:
    struct Group {
      const void* action;  // EntityUID::key(), or null
      // Filed in this index only; filed in the other entity index too.
      std::vector<uint32_t> instances, both;
    };
    void add(const EntityUID& key, const EntityUID* action, uint32_t instance, bool both);
    // Asks for the memory find(key) reads first. The index must not be empty.
    void prefetch(const EntityUID& key) const;
    // The groups filed under `key`; null when none.
    const std::vector<Group>* find(const EntityUID& key) const;
    bool empty() const { return entries_.empty(); }

   private:
    struct Slot {
      const void* key = nullptr;
      uint32_t entry = UINT32_MAX;  // index into entries_; UINT32_MAX: empty slot
    };
    void grow();
    std::vector<Slot> slots_;
    std::vector<size_t> hashes_;  // per entry, for growing
    std::vector<std::vector<Group>> entries_;
  };

  // A compact copy of one instance's scope, kept in one array so that the
  // instances which cannot match are dropped without touching their
  // (scattered, cache-cold) policies.
  // One cache line each.
  struct alignas(64) ScopeFilter {
    struct Dim {
      const void* key = nullptr;  // ==, in, is … in: EntityUID::key()
      uint32_t type = 0;          // is, is … in: the type name's number in types_ (0: none)
      bool eq = false;            // ==: the request's entity must be `key` itself
    };
    Dim principal, action, resource;
    const std::vector<EntityUID>* action_list = nullptr;  // action in [...]
  };

  void index(uint32_t i);
  std::vector<std::shared_ptr<const Policy>> policies_;  // static and templates, source order
  std::vector<PolicyInstance> instances_;
  std::unordered_map<std::string, size_t> ids_;  // id -> 1 (static/link) or 2 (template)
  // The scope index. An instance whose principal constraint names an entity
  // (==, in, is … in) is filed in by_principal_ under that entity, in the
  // group of each entity its action constraint names (==, in, each of
  // `in [...]`; the null group for an unconstrained action); likewise in
  // by_resource_ for its resource (in Group::both when it is filed in both
  // indexes). A request looks up its principal and each of the principal's
  // ancestors and takes the groups of its action, the action's groups and
  // null; likewise its resource. An instance filed in one index is found
  // there; those filed in both are looked for on the side where the
  // request meets fewer of them. So a request from a large team meets only
  // the team's policies for its action on its own resource. Instances filed
  // in neither are filed under their action alone in by_action_ or, failing
  // that, are unindexed and always found. Every instance found passes its
  // ScopeFilter, which checks all three scopes exactly, before it becomes a
  // candidate.
  UidIndex by_principal_, by_resource_, by_action_;
  std::vector<ScopeFilter> filters_;  // per instance
  // The type names of `is` scopes, numbered from 1.
  std::unordered_map<std::string, uint32_t> types_;
  std::vector<std::string> type_list_;  // the same, in order of their numbers
  Program program_;
  std::vector<Program::Code> codes_;  // per instance
  std::vector<uint32_t> unindexed_;
};

struct PolicyError {
  std::string policy;
  std::string message;
};

struct Response {
  bool allow = false;
  std::vector<std::string> reason;  // determining policies
  std::vector<PolicyError> errors;  // policies skipped because evaluation failed
};

// Evaluates one expression. `slots` binds ?principal / ?resource for
// template links (may be null).
Result<Value> evaluate(const Expr& e, const Request& req, const Entities& entities);

// Whether one policy instance is satisfied: true/false, or the evaluation
// error that made Cedar skip it.
Result<bool> satisfied(const PolicyInstance& p, const Request& req, const Entities& entities);

// Applies a built-in function or method to evaluated arguments (`args`
// holds info.arity values, the receiver first). `ents` is consulted by the
// tag methods and may be null elsewhere.
Result<Value> call_function(const FnInfo& info, std::string_view name, const Value* args, const Entities* ents);

Response authorize(const PolicySet& policies, const Request& req, const Entities& entities);

}  // namespace tollgate::cedar
