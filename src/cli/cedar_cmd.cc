// `tollgate cedar …`: the Cedar engine on the command line.
//
//   tollgate cedar authorize --policies P [--schema S] --entities E
//                            (--request R.json | --requests R.jsonl) [--links L]
//   tollgate cedar test FILE.json|DIR …
//
// Exit codes: 0 done (whatever the decisions), 1 a single request was
// rejected or a test failed, 2 an input did not parse (diagnostics on stderr
// as file:line:col: message).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cedar/cedar.h"
#include "cedar/integration_test.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace tollgate::cli {

namespace {

struct AuthorizeArgs {
  std::string policies, schema, entities, request, requests, links;
};

int run_authorize(const AuthorizeArgs& a) {
  using namespace tollgate::cedar;
  int bad_inputs = 0;
  std::string text;
  auto load = [&](const std::string& path, const char* what) -> bool {
    if (!read_file(path, text)) {
      std::cerr << path << ":1:1: cannot read " << what << " file\n";
      ++bad_inputs;
      return false;
    }
    return true;
  };

  std::optional<Schema> schema;
  if (!a.schema.empty() && load(a.schema, "schema")) {
    auto s = parse_schema(text, a.schema);
    if (s) {
      schema = std::move(s).value();
    } else {
      print_error(s.error());
      ++bad_inputs;
    }
  }
  std::optional<PolicySet> policies;
  if (load(a.policies, "policy")) {
    auto p = parse_policies(text, a.policies);
    if (p) {
      policies = std::move(p).value();
    } else {
      print_error(p.error());
      ++bad_inputs;
    }
  }
  if (policies && !a.links.empty() && load(a.links, "links")) {
    if (auto st = apply_links(*policies, text, a.links); !st.ok()) {
      print_error(st.error());
      ++bad_inputs;
    }
  }
  std::optional<Entities> entities;
  if (load(a.entities, "entities") && (a.schema.empty() || schema)) {
    auto e = parse_entities(text, a.entities, schema ? &*schema : nullptr);
    if (e) {
      entities = std::move(e).value();
    } else {
      print_error(e.error());
      ++bad_inputs;
    }
  }
  if (bad_inputs > 0 || !policies || !entities) return 2;

  const Schema* sp = schema ? &*schema : nullptr;
  if (!a.request.empty()) {
    if (!load(a.request, "request")) return 2;
    auto req = parse_request(text, sp);
    if (!req) {
      std::cout << error_json(req.error().message) << "\n";
      return 1;
    }
    std::cout << response_json(authorize(*policies, *req, *entities)) << "\n";
    return 0;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (a.requests != "-") {
    file.open(a.requests, std::ios::binary);
    if (!file) {
      std::cerr << a.requests << ":1:1: cannot read requests file\n";
      return 2;
    }
    in = &file;
  }
  std::string line, out;
  while (std::getline(*in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto req = parse_request(line, sp);
    out = req ? response_json(authorize(*policies, *req, *entities)) : error_json(req.error().message);
    out += '\n';
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  }
  std::cout.flush();
  return 0;
}

}  // namespace

void add_cedar_commands(CLI::App& app, int& exit_code) {
  auto* cedar = app.add_subcommand("cedar", "The Cedar policy engine");
  cedar->require_subcommand(1);

  auto args = std::make_shared<AuthorizeArgs>();
  auto* authz = cedar->add_subcommand("authorize", "Decide requests against policies and entities");
  authz->add_option("--policies", args->policies, "Cedar policy file")->required();
  authz->add_option("--schema", args->schema, "Schema (.cedarschema or JSON)");
  authz->add_option("--entities", args->entities, "Entities JSON file")->required();
  authz->add_option("--links", args->links, "Template links JSON file");
  auto* one = authz->add_option("--request", args->request, "One request (JSON object)");
  auto* many = authz->add_option("--requests", args->requests, "Requests, one JSON object per line ('-' for stdin)");
  one->excludes(many);
  authz->callback([args, &exit_code] {
    if (args->request.empty() && args->requests.empty()) {
      throw CLI::ValidationError("one of --request or --requests is required");
    }
    exit_code = run_authorize(*args);
  });

  add_cedar_validate_command(*cedar, exit_code);

  auto paths = std::make_shared<std::vector<std::string>>();
  auto* test = cedar->add_subcommand("test", "Run tests in the cedar-integration-tests format");
  test->add_option("paths", *paths, "Test files or directories")->required();
  auto verbose = std::make_shared<bool>(false);
  test->add_flag("-v,--verbose", *verbose, "Describe every failure");
  test->callback([paths, verbose, &exit_code] {
    cedar::TestTally tally;
    std::ostringstream log;
    for (const auto& p : *paths) cedar::run_integration_tests(p, tally, log);
    std::string failures = log.str();
    if (!failures.empty()) {
      if (*verbose || failures.size() < 20000) {
        std::cerr << failures;
      } else {
        std::cerr << failures.substr(0, 20000) << "… (more failures; run with --verbose)\n";
      }
    }
    std::cout << tally.files << " test files\n";
    if (tally.validations) {
      std::cout << tally.validations << " validation checks, " << tally.validations_failed
                << " disagreed with shouldValidate\n";
    }
    std::cout << tally.passed << " passed, " << tally.failed << " failed\n";
    exit_code = tally.failed == 0 && tally.passed > 0 ? 0 : 1;
  });
}

}  // namespace tollgate::cli
