// libFuzzer target: the redaction of credentials from records
// (ledger/redact.h), run on every record the daemon writes. Any text: never
// a crash, the output never longer than the input by more than the marks;
// and redact_json keeps JSON text JSON that parses, with the same structure:
// the same member names, only string values changed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ledger/redact.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

// Same shape: objects with the same keys, arrays of the same length, the
// same non-string values.
bool same_shape(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end() || !same_shape(*it, *jt)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!same_shape(a[i], b[i])) return false;
    return true;
  }
  return a.is_string() || a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = tollgate::ledger::redact_secrets(text);
  if (r.text.size() > text.size() + r.count * 10) std::abort();
  if (r.count == 0 && r.text != text) std::abort();
  auto j = tollgate::ledger::redact_json(text);
  if (j.count == 0 && j.text != text) std::abort();
  auto in = nlohmann::json::parse(text, nullptr, false);
  if (in.is_discarded()) return 0;
  auto out = nlohmann::json::parse(j.text, nullptr, false);
  if (out.is_discarded() || !same_shape(in, out)) std::abort();
  return 0;
}
