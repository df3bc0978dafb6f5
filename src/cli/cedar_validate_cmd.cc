// `tollgate cedar validate --policies P.cedar --schema S.cedarschema
// [--links L.json]`: strict validation of a policy file (and optionally its
// template links) against a schema (cedar/validator.h).
//
// Diagnostics go to stderr, one per line as `file:line:col: message`, with
// a `help: …` line after an error that has a suggestion; warnings read
// `file:line:col: warning: …` and do not fail the run.
//
// Exit codes: 0 valid (warnings allowed), 1 validation errors, 2 an input
// could not be read or did not parse.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cedar/cedar.h"
#include "cedar/validator.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace tollgate::cli {

namespace {

struct ValidateArgs {
  std::string policies, schema, links;
};

int run_validate(const ValidateArgs& a) {
  using namespace tollgate::cedar;
  bool bad = false;
  std::string text;
  std::optional<Schema> schema;
  if (!read_file(a.schema, text)) {
    std::cerr << a.schema << ":1:1: cannot read schema file\n";
    bad = true;
  } else if (auto s = parse_schema(text, a.schema); s) {
    schema = std::move(s).value();
  } else {
    print_error(s.error());
    bad = true;
  }
  std::optional<PolicySet> policies;
  if (!read_file(a.policies, text)) {
    std::cerr << a.policies << ":1:1: cannot read policy file\n";
    bad = true;
  } else if (auto p = parse_policies(text, a.policies); p) {
    policies = std::move(p).value();
  } else {
    print_error(p.error());
    bad = true;
  }
  if (policies && !a.links.empty()) {
    if (!read_file(a.links, text)) {
      std::cerr << a.links << ":1:1: cannot read links file\n";
      bad = true;
    } else if (auto st = apply_links(*policies, text, a.links); !st.ok()) {
      print_error(st.error());
      bad = true;
    }
  }
  if (bad || !schema || !policies) return 2;

  ValidationResult r = validate(*policies, *schema);
  std::string out;
  for (const Diagnostic& d : r.errors) {
    auto [message, help] = split_help(d.message);
    Diagnostic shown = d;
    shown.message = std::string(message);
    out += shown.str() + "\n";
    if (!help.empty()) out += "help: " + std::string(help) + "\n";
  }
  for (const Diagnostic& d : r.warnings) out += d.str() + "\n";
  std::cerr << out;
  return r.ok() ? 0 : 1;
}

}  // namespace

void add_cedar_validate_command(CLI::App& cedar, int& exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  auto* cmd = cedar.add_subcommand("validate", "Check policies against a schema (strict validation)");
  cmd->add_option("--policies", args->policies, "Cedar policy file")->required();
  cmd->add_option("--schema", args->schema, "Schema (.cedarschema or JSON)")->required();
  cmd->add_option("--links", args->links, "Template links JSON file");
  cmd->callback([args, &exit_code] { exit_code = run_validate(*args); });
}

}  // namespace tollgate::cli
