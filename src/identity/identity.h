// Task identities (docs/tasks.md, "Task tokens"): the SPIFFE-style subject
// of an agent working on a task, and the claims of its task token.
//
//   sub = spiffe://<trust domain>/agent/<agent>/task/<task>
//
// SPIFFE path segments allow only [A-Za-z0-9._-]; any other byte of an
// agent or task id (agents first seen are named `claude-code:dev@host`) is
// written `_XX` (upper-case hex), and `_` itself `_5F`, so the mapping is
// one-to-one and two agents never share a subject.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tollgate::identity {

// A trust domain is a DNS-like name: lower-case letters, digits, `.`, `-`, `_`.
Status check_trust_domain(std::string_view td);
std::string spiffe_segment(std::string_view id);
std::string spiffe_id(std::string_view trust_domain, std::string_view agent, std::string_view task);

struct TaskTokenClaims {
  std::string issuer, trust_domain;
  std::vector<std::string> audience;  // at least one
  std::string agent, task, owner;     // owner: the human the agent acts for (the `act` claim)
  std::string ticket, environment;
  std::vector<std::string> repos, labels;
  int64_t window_start_s = 0, window_end_s = 0;  // 0: no window
  int64_t iat = 0, exp = 0;
  std::string jti;
};

// The payload of a task token:
//   {"iss","sub","aud","iat","nbf","exp","jti","act":{"sub":owner},
//    "agent","task","ticket","repos","env","labels","window":{"start","end"}}
// (`aud` a string when there is one audience; `window` only when set).
std::string task_token_claims(const TaskTokenClaims& c);

}  // namespace tollgate::identity
