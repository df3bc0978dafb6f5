#include "cedar/integration_test.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cedar/cedar.h"
#include "cedar/json_internal.h"
#include "cedar/validator.h"

namespace tollgate::cedar {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

fs::path resolve(const fs::path& test_file, const std::string& rel) {
  fs::path r(rel);
  if (r.is_absolute()) return r;
  for (fs::path dir = fs::absolute(test_file).parent_path();; dir = dir.parent_path()) {
    fs::path cand = dir / r;
    if (fs::exists(cand)) return cand;
    if (dir == dir.root_path() || dir.empty()) break;
  }
  return fs::path(test_file).parent_path() / r;
}

std::set<std::string> string_set(const json& j) {
  std::set<std::string> out;
  if (j.is_array()) {
    for (const auto& x : j) {
      if (x.is_string()) {
        out.insert(x.get<std::string>());
      } else if (x.is_object() && x.contains("policyId")) {
        out.insert(x["policyId"].get<std::string>());
      }
    }
  }
  return out;
}

std::string join(const std::set<std::string>& s) {
  std::string out = "[";
  for (const auto& x : s) out += (out.size() > 1 ? ", " : "") + x;
  return out + "]";
}

void print_diags(std::ostream& log, const Error& e) {
  if (e.diagnostics.empty()) log << "  " << e.message << "\n";
  for (const auto& d : e.diagnostics) log << "  " << d.str() << "\n";
}

}  // namespace

void run_integration_test(const std::string& path, TestTally& tally, std::ostream& log) {
  std::string text;
  if (!read_file(path, text)) {
    log << path << ": cannot read\n";
    ++tally.failed;
    return;
  }
  auto doc = detail::parse_json(text, path);
  if (!doc || !doc->is_object() || !doc->contains("requests")) {
    log << path << ": not a test file\n";
    ++tally.failed;
    return;
  }
  ++tally.files;
  const json& t = *doc;
  size_t nreq = t["requests"].is_array() ? t["requests"].size() : 0;
  auto fail_all = [&](const std::string& what, const Error* e) {
    log << path << ": " << what << "\n";
    if (e) print_diags(log, *e);
    tally.failed += std::max<size_t>(nreq, 1);
  };
  auto field = [&](const char* k) -> std::string {
    auto it = t.find(k);
    return it != t.end() && it->is_string() ? it->get<std::string>() : std::string();
  };

  std::optional<Schema> schema;
  if (std::string s = field("schema"); !s.empty()) {
    fs::path p = resolve(path, s);
    std::string st;
    if (!read_file(p, st)) return fail_all("cannot read schema " + p.string(), nullptr);
    auto r = parse_schema(st, p.string());
    if (!r) return fail_all("schema does not parse", &r.error());
    schema = std::move(r).value();
  }
  fs::path pp = resolve(path, field("policies"));
  std::string ptext;
  if (!read_file(pp, ptext)) return fail_all("cannot read policies " + pp.string(), nullptr);
  auto policies = parse_policies(ptext, pp.string());
  if (!policies) return fail_all("policies do not parse", &policies.error());
  if (auto it = t.find("templateLinks"); it != t.end()) {
    if (auto st = apply_links(*policies, it->dump(), path); !st.ok())
      return fail_all("bad template links", &st.error());
  }
  if (auto it = t.find("shouldValidate"); schema && it != t.end() && it->is_boolean()) {
    // One check per test file: strict validation must agree with the corpus.
    bool want = it->get<bool>();
    ValidationResult v = validate(*policies, *schema);
    ++tally.validations;
    if (v.ok() == want) {
      ++tally.passed;
    } else {
      ++tally.failed;
      ++tally.validations_failed;
      log << path << ": expected the policies to " << (want ? "validate" : "fail validation") << ", but they "
          << (want ? "do not" : "do") << "\n";
      for (const auto& d : v.errors) log << "    " << d.str() << "\n";
    }
  }
  fs::path ep = resolve(path, field("entities"));
  std::string etext;
  if (!read_file(ep, etext)) return fail_all("cannot read entities " + ep.string(), nullptr);
  auto entities = parse_entities(etext, ep.string(), schema ? &*schema : nullptr);
  if (!entities) return fail_all("entities do not parse", &entities.error());

  size_t index = 0;
  for (const auto& rj : t["requests"]) {
    std::string desc = rj.value("description", "request " + std::to_string(index));
    ++index;
    bool validate = schema.has_value() && rj.value("validateRequest", true);
    auto req = detail::request_from_json(rj, schema ? &*schema : nullptr, validate);
    if (!req) {
      log << path << ": " << desc << ": request rejected: " << req.error().message << "\n";
      ++tally.failed;
      continue;
    }
    Response resp = authorize(*policies, *req, *entities);
    std::string want = rj.value("decision", "");
    std::transform(want.begin(), want.end(), want.begin(), ::tolower);
    std::set<std::string> want_reason = string_set(rj.value("reason", json::array()));
    std::set<std::string> want_errors = string_set(rj.value("errors", json::array()));
    std::set<std::string> got_reason(resp.reason.begin(), resp.reason.end());
    std::set<std::string> got_errors;
    for (const auto& e : resp.errors) got_errors.insert(e.policy);
    std::string got = resp.allow ? "allow" : "deny";
    if (got == want && got_reason == want_reason && got_errors == want_errors) {
      ++tally.passed;
      continue;
    }
    ++tally.failed;
    log << path << ": " << desc << ": expected " << want << " " << join(want_reason) << " errors " << join(want_errors)
        << ", got " << got << " " << join(got_reason) << " errors " << join(got_errors) << "\n";
    for (const auto& e : resp.errors) log << "    " << e.policy << ": " << e.message << "\n";
  }
}

void run_integration_tests(const std::string& path, TestTally& tally, std::ostream& log) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    run_integration_test(path, tally, log);
    return;
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (!it->is_regular_file() || p.extension() != ".json") continue;
    if (name.size() > 14 && name.compare(name.size() - 14, 14, ".entities.json") == 0) continue;
    if (name.find("schema") != std::string::npos || name.find("entities") != std::string::npos) continue;
    files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    // Only files that look like tests (an object with "requests").
    std::string head;
    {
      std::ifstream in(f, std::ios::binary);
      char buf[4096];
      in.read(buf, sizeof buf);
      head.assign(buf, static_cast<size_t>(in.gcount()));
    }
    if (head.find("\"requests\"") == std::string::npos && head.find("\"policies\"") == std::string::npos) continue;
    run_integration_test(f.string(), tally, log);
  }
}

}  // namespace tollgate::cedar
