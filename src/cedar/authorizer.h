// Policy sets, requests and the authorizer. A PolicySet holds static
// policies, templates and template links, indexed by scope so that a request
// only evaluates the policies whose scope can match it. Authorization
// follows Cedar: forbid overrides permit, default deny, a policy whose
// condition errors is skipped and reported.
//
// Thread-safety: a PolicySet is immutable once built (add/link are for
// construction only); authorize() may be called concurrently on one set.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "cedar/ast.h"
#include "cedar/entities.h"
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

  // Indices of the instances whose scope may match a request with this
  // principal and resource (a superset; evaluation still checks the scope).
  void candidates(const Request& req, const Entities& entities, std::vector<uint32_t>& out) const;

 private:
  void index(uint32_t i);
  std::vector<std::shared_ptr<const Policy>> policies_;  // static and templates, source order
  std::vector<PolicyInstance> instances_;
  std::unordered_map<std::string, size_t> ids_;  // id -> 1 (static/link) or 2 (template)
  // Scope index. An instance whose principal constraint names an entity
  // (==, in, is … in) is filed under that entity in by_principal_; failing
  // that, under its resource entity; failing that, under its action (== or
  // in); otherwise it is unindexed and always a candidate. A request looks
  // up its principal, resource and action and each of their ancestors.
  using Index = std::unordered_map<EntityUID, std::vector<uint32_t>, EntityUIDHash>;
  Index by_principal_, by_resource_, by_action_;
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
