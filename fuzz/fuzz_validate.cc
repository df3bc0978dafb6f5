// libFuzzer target: the strict validator, and the policy tools built on it.
// The input is `schema % policies` ('%' is not Cedar syntax outside string
// literals); an input without '%' is all policies, validated against the
// fixed schema of fuzz_common.h, so the validator sees the same inputs as
// the parser (fuzz_policy). Whatever parses is validated; a valid pack of
// the two is also loaded as a policy pack and linted (src/policy/), and the
// policy text is formatted, which must succeed and keep every policy's
// meaning, idempotently (the formatter's promises, checked on every input).
//
// Hostile schemas — deep nesting, recursive or long chains of common types,
// huge records, many entity types per action (many request environments) —
// must stay bounded in stack, memory and time; the libFuzzer limits in
// `./dev fuzz` (-rss_limit_mb=2048 -timeout=10) turn a blow-up into a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cedar/validator.h"
#include "fuzz_common.h"
#include "policy/ast_dump.h"
#include "policy/format.h"
#include "policy/lint.h"
#include "policy/pack.h"

using namespace tollgate::fuzz;
namespace policy = tollgate::policy;

namespace {

size_t consume(const tollgate::cedar::ValidationResult& v) {
  size_t n = 0;
  for (const auto& d : v.errors) n += d.str().size() + split_help(d.message).second.size();
  for (const auto& d : v.warnings) n += d.str().size();
  return n;
}

std::string meaning(std::string_view text) {
  auto ps = parse_policy_list(text, "f.cedar");
  if (!ps) return "<error>";
  std::string out;
  for (const auto& p : *ps) out += policy::dump_policy(*p, true) + "\n";
  return out;
}

[[noreturn]] void broken(const char* what, std::string_view text) {
  std::fprintf(stderr, "formatter promise broken: %s\n--- input:\n%.*s\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

// The formatter's promises: it formats whatever parses, keeps the meaning,
// and formatting twice changes nothing.
void check_format(std::string_view text, bool parses) {
  auto once = policy::format_policies(text, "f.cedar");
  if (!parses) {
    if (once) broken("formatted text that does not parse", text);
    return;
  }
  if (!once) broken("refused text that parses", text);
  if (meaning(*once) != meaning(text)) broken("changed the meaning", text);
  auto twice = policy::format_policies(*once, "f.cedar");
  if (!twice || *twice != *once) broken("not idempotent", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('%');
  std::string_view schema_text = cut == std::string_view::npos ? std::string_view() : in.substr(0, cut);
  std::string_view policies = cut == std::string_view::npos ? in : in.substr(cut + 1);
  volatile size_t sink = 0;

  std::optional<Schema> parsed_schema;
  const Schema* schema = &fixed_schema();
  if (cut != std::string_view::npos) {
    auto s = parse_schema(schema_text, "f.cedarschema");
    if (!s) {
      sink = sink + consume(s.error());
      schema = nullptr;
    } else {
      parsed_schema = std::move(s).value();
      schema = &*parsed_schema;
    }
  }

  auto set = parse_policies(policies, "f.cedar");
  if (!set) sink = sink + consume(set.error());
  check_format(policies, set.ok());
  if (!set || !schema) return 0;

  auto v = validate(*set, *schema);
  sink = sink + consume(v);

  // The pack path: ids, annotations, validation again, then lint.
  if (v.ok() && cut != std::string_view::npos) {
    auto pack = policy::load_pack_files(
        {{"p.cedar", std::string(policies)}, {"schema.cedarschema", std::string(schema_text)}}, "f");
    if (pack) {
      for (const auto& d : policy::lint_pack(**pack)) sink = sink + d.str().size();
    } else {
      sink = sink + consume(pack.error());
    }
  }
  (void)sink;
  return 0;
}
