// Data-file tests of a policy pack (`tollgate policy test DIR`): each case
// is a tool call as a harness sends it, with the session's state, an
// optional task, and the expected decision — so a pack is tested through
// the same adapters, analysers and decision point the daemon uses.
//
// A test file is a JSON array of cases (docs/policies.md, "Testing a pack"):
//
//   {"name": "DeniesEgressAfterSecretRead",
//    "harness": "claude-code",              // default claude-code
//    "tool": "Bash", "input": {"command": "curl https://example.com"},
//    "cwd": "/home/dev/project",            // the workspace; default /home/dev/project
//    "home": "/home/dev",                   // default /home/dev
//    "session": {"secrets_read": 1, "labels_read": ["secret"],
//                "untrusted_input": false, "hosts_contacted": [], "denials": 0},
//    "task": {"id": "T-1", "repos": ["/srv/repo"], "environment": "prod",
//             "grants": ["infra"], "in_window": true},
//    "expect": "deny",                      // allow | deny | ask
//    "policies": ["no-egress-after-secret"]} // optional: ids that must decide
//
// Paths are not resolved against the real file system (no symlinks), so a
// pack's tests mean the same on every machine. Pure apart from reading the
// files; never throws.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "pdp/pdp.h"

namespace tollgate::pdp {

struct CaseResult {
  std::string file;
  std::string name;
  bool passed = false;
  std::string expected, actual;  // effects
  std::string detail;            // why it failed, or the decision's reason
};

// Runs every case of one test file (JSON text) against `pack`.
Result<std::vector<CaseResult>> run_pack_tests(const std::shared_ptr<const policy::Pack>& pack, std::string_view text,
                                               const std::string& file);

}  // namespace tollgate::pdp
