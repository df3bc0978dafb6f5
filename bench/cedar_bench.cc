// Google Benchmark programs for Tollgate's Cedar engine. The figures and the
// commands that produce them are in docs/performance.md; bench/run.sh runs
// this program next to the reference implementation.
//
//   tollgate_cedar_bench [--workloads=DIR] [--corpus=DIR] [benchmark flags…]
//
//   BM_AuthorizeWarm/N   one warm decision (policies and entities parsed
//                        once) against the agent workload with N policies,
//                        cycling through its requests: time per decision.
//                        Counters: policies; candidates (what the scope
//                        index hands to the evaluator per request);
//                        in_scope (policies whose whole scope matches, per
//                        request); allow_pct.
//   BM_AuthorizeLatency/N  the same decisions timed one by one: median,
//                        90th percentile and mean over the requests (µs).
//   BM_IdealIndex/N      diagnostic: the same decisions evaluating only the
//                        policies whose scope matches (a perfect index).
//   BM_RequestLine/N     what the CLI does per --requests line: parse the
//                        request JSON, decide, render the answer JSON.
//   BM_ParseRequest      the request JSON alone.
//   BM_ParsePolicies/N   parse_policies on the N-policy file (items/s =
//                        policies per second).
//   BM_LoadEntities      parse_entities on the ~1,100-entity file, including
//                        the transitive closure of the hierarchy.
//   BM_Corpus            one warm decision cycling through every request of
//                        the upstream conformance corpus (each test has its
//                        own policies, entities and schema).
//   BM_CorpusRequestLine the same requests as the CLI sees them: parse the
//                        request JSON (validated against the test's schema),
//                        decide, render the answer JSON.
//
// Workloads come from bench/gen_workload.mjs (default
// <build>/bench/workloads, generated on first use if node is available);
// the corpus is unpacked from the shared cedar-integration-tests tarball
// into <build>/bench/corpus on first use. Inputs are loaded outside the
// timed loops and kept for the life of the process.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cedar/cedar.h"

#include "bench_workloads.h"

namespace {

using tollgate::bench::g_workloads;
using tollgate::bench::shell_quote;
using tollgate::bench::slurp;

namespace fs = std::filesystem;
using namespace tollgate::cedar;

std::string g_corpus = TOLLGATE_BENCH_BINARY_DIR "/corpus";

// ---------------------------------------------------------------------------
// The agent workloads.

struct Workload {
  std::string error;  // non-empty when the workload could not be loaded
  std::string policy_text, entity_text;
  std::vector<std::string> request_lines;
  size_t policy_count = 0;
  std::optional<PolicySet> policies;
  std::optional<Entities> entities;
  std::vector<Request> requests;
  // Properties of the workload (not timings), computed once for the counters.
  bool stats_done = false;
  double candidates = 0;  // policies the scope index hands to the evaluator, per request
  double in_scope = 0;    // policies whose whole scope matches, per request (what an ideal index would hand over)
  double allow_pct = 0;
  std::vector<std::vector<uint32_t>> in_scope_ids;  // per request: the instances whose whole scope matches
};

// Cedar's scope semantics, restated here so that the benchmark can count the
// policies a perfect index would return without relying on the engine's own.
bool scope_matches(const ScopeConstraint& sc, const EntityUID& v, const std::optional<EntityUID>& slot,
                   const Entities& ents) {
  using K = ScopeConstraint::Kind;
  const EntityUID& target = sc.slot && slot ? *slot : sc.entity;
  switch (sc.kind) {
    case K::Any: return true;
    case K::Eq: return v == target;
    case K::In: return ents.in(v, target);
    case K::Is: return v.type() == sc.type;
    case K::IsIn: return v.type() == sc.type && ents.in(v, target);
    case K::InList:
      return std::any_of(sc.list.begin(), sc.list.end(), [&](const EntityUID& a) { return ents.in(v, a); });
  }
  return false;
}

void compute_stats(Workload& w) {
  if (w.stats_done) return;
  w.stats_done = true;
  std::vector<uint32_t> cand;
  double total = 0, scoped = 0, allows = 0;
  const auto& instances = w.policies->instances();
  for (const auto& req : w.requests) {
    w.policies->candidates(req, *w.entities, cand);
    total += static_cast<double>(cand.size());
    auto& ids = w.in_scope_ids.emplace_back();
    for (uint32_t i = 0; i < instances.size(); ++i) {
      const Policy& p = *instances[i].policy;
      if (scope_matches(p.principal, req.principal, instances[i].principal_slot, *w.entities) &&
          scope_matches(p.action, req.action, std::nullopt, *w.entities) &&
          scope_matches(p.resource, req.resource, instances[i].resource_slot, *w.entities)) {
        ids.push_back(i);
      }
    }
    scoped += static_cast<double>(ids.size());
    allows += authorize(*w.policies, req, *w.entities).allow ? 1 : 0;
  }
  const double n = static_cast<double>(w.requests.size());
  w.candidates = total / n;
  w.in_scope = scoped / n;
  w.allow_pct = 100.0 * allows / n;
}

Workload& workload(int size) {
  static std::map<int, std::unique_ptr<Workload>> cache;
  auto& slot = cache[size];
  if (slot) return *slot;
  slot = std::make_unique<Workload>();
  Workload& w = *slot;
  fs::path dir;
  if (std::string err = tollgate::bench::ensure_workload(size, "requests.jsonl", dir); !err.empty()) {
    w.error = err;
    return w;
  }
  std::string requests_text;
  if (!slurp(dir / "policies.cedar", w.policy_text) || !slurp(dir / "entities.json", w.entity_text) ||
      !slurp(dir / "requests.jsonl", requests_text)) {
    w.error = "cannot read the workload in " + dir.string();
    return w;
  }
  auto ps = parse_policies(w.policy_text, (dir / "policies.cedar").string());
  if (!ps) {
    w.error = "policies do not parse: " + ps.error().message;
    return w;
  }
  w.policy_count = ps->instances().size();
  w.policies = std::move(ps).value();
  auto es = parse_entities(w.entity_text, (dir / "entities.json").string());
  if (!es) {
    w.error = "entities do not parse: " + es.error().message;
    return w;
  }
  w.entities = std::move(es).value();
  std::istringstream lines(requests_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto r = parse_request(line, nullptr);
    if (!r) {
      w.error = "request does not parse: " + r.error().message;
      return w;
    }
    w.request_lines.push_back(line);
    w.requests.push_back(std::move(r).value());
  }
  if (w.requests.empty()) w.error = "no requests in " + dir.string();
  return w;
}

// Loads the workload or marks the benchmark skipped; null when skipped.
Workload* load_or_skip(benchmark::State& state, int size) {
  Workload& w = workload(size);
  if (!w.error.empty()) {
    state.SkipWithError(w.error.c_str());
    return nullptr;
  }
  return &w;
}

void BM_AuthorizeWarm(benchmark::State& state) {
  Workload* w = load_or_skip(state, static_cast<int>(state.range(0)));
  if (!w) return;
  const size_t n = w->requests.size();
  size_t i = 0;
  for (auto _ : state) {
    Response r = authorize(*w->policies, w->requests[i], *w->entities);
    benchmark::DoNotOptimize(r);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  compute_stats(*w);
  state.counters["policies"] = static_cast<double>(w->policy_count);
  state.counters["candidates"] = w->candidates;
  state.counters["in_scope"] = w->in_scope;
  state.counters["allow_pct"] = w->allow_pct;
}

// The distribution behind BM_AuthorizeWarm's mean: each decision of a pass
// over the requests (in the same cycling order, so caches are as warm as
// there) is timed on its own with the steady clock, less the clock's own
// cost measured beforehand. Every request is seen once per pass; its time is
// the median over the passes, and the counters give the median, 90th
// percentile and mean of those per-request times in µs, plus the median and
// 90th percentile of the policies in scope. The goal "median warm evaluation"
// reads median_us.
void BM_AuthorizeLatency(benchmark::State& state) {
  Workload* w = load_or_skip(state, static_cast<int>(state.range(0)));
  if (!w) return;
  compute_stats(*w);
  using Clock = std::chrono::steady_clock;
  const size_t n = w->requests.size();
  // The clock's own cost: the median of many back-to-back reads.
  std::vector<double> empty(4096);
  for (double& e : empty) {
    auto a = Clock::now();
    auto b = Clock::now();
    e = std::chrono::duration<double, std::micro>(b - a).count();
  }
  std::nth_element(empty.begin(), empty.begin() + empty.size() / 2, empty.end());
  const double overhead = empty[empty.size() / 2];
  std::vector<std::vector<double>> times(n);
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) {
      auto a = Clock::now();
      Response r = authorize(*w->policies, w->requests[i], *w->entities);
      benchmark::DoNotOptimize(r);
      auto b = Clock::now();
      times[i].push_back(std::chrono::duration<double, std::micro>(b - a).count() - overhead);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  auto quantile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  std::vector<double> per_request(n), scoped(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    per_request[i] = median(times[i]);
    sum += per_request[i];
    scoped[i] = static_cast<double>(w->in_scope_ids[i].size());
  }
  state.counters["median_us"] = median(per_request);
  state.counters["p90_us"] = quantile(per_request, 0.9);
  state.counters["mean_us"] = sum / static_cast<double>(n);
  state.counters["in_scope_median"] = median(scoped);
  state.counters["in_scope_p90"] = quantile(scoped, 0.9);
  state.counters["clock_us"] = overhead;
}

// Diagnostic, not a product figure: authorization as if the scope index
// were perfect — only the policies whose whole scope matches the request are
// evaluated (the lists are computed before timing), one satisfied() call
// each. On the agent workload the engine's own index is now that good, so
// the gap to BM_AuthorizeWarm shows what authorize()'s per-request work
// (one evaluator and entity look-up per request, prefetching) is worth.
void BM_IdealIndex(benchmark::State& state) {
  Workload* w = load_or_skip(state, static_cast<int>(state.range(0)));
  if (!w) return;
  compute_stats(*w);
  const auto& instances = w->policies->instances();
  const size_t n = w->requests.size();
  size_t i = 0;
  for (auto _ : state) {
    Response resp;
    std::vector<std::string> permits, forbids;
    for (uint32_t id : w->in_scope_ids[i]) {
      const PolicyInstance& inst = instances[id];
      auto r = satisfied(inst, w->requests[i], *w->entities);
      if (!r) {
        resp.errors.push_back({inst.id, r.error().message});
      } else if (*r) {
        (inst.policy->effect == Effect::Permit ? permits : forbids).push_back(inst.id);
      }
    }
    resp.allow = forbids.empty() && !permits.empty();
    resp.reason = forbids.empty() ? std::move(permits) : std::move(forbids);
    benchmark::DoNotOptimize(resp);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["in_scope"] = w->in_scope;
}

void BM_RequestLine(benchmark::State& state) {
  const Workload* w = load_or_skip(state, static_cast<int>(state.range(0)));
  if (!w) return;
  const size_t n = w->request_lines.size();
  size_t i = 0;
  for (auto _ : state) {
    auto req = parse_request(w->request_lines[i], nullptr);
    std::string out = req ? response_json(authorize(*w->policies, *req, *w->entities)) : error_json("bad request");
    benchmark::DoNotOptimize(out);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_ParseRequest(benchmark::State& state) {
  const Workload* w = load_or_skip(state, 10);
  if (!w) return;
  const size_t n = w->request_lines.size();
  size_t i = 0;
  for (auto _ : state) {
    auto req = parse_request(w->request_lines[i], nullptr);
    benchmark::DoNotOptimize(req);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_ParsePolicies(benchmark::State& state) {
  const Workload* w = load_or_skip(state, static_cast<int>(state.range(0)));
  if (!w) return;
  for (auto _ : state) {
    auto ps = parse_policies(w->policy_text, "policies.cedar");
    benchmark::DoNotOptimize(ps);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w->policy_count));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w->policy_text.size()));
  state.counters["policies"] = static_cast<double>(w->policy_count);
}

void BM_LoadEntities(benchmark::State& state) {
  const Workload* w = load_or_skip(state, 10);
  if (!w) return;
  for (auto _ : state) {
    auto es = parse_entities(w->entity_text, "entities.json");
    benchmark::DoNotOptimize(es);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w->entities->size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w->entity_text.size()));
  state.counters["entities"] = static_cast<double>(w->entities->size());
}

// ---------------------------------------------------------------------------
// The upstream conformance corpus.

struct CorpusTest {
  std::optional<Schema> schema;
  std::optional<PolicySet> policies;
  std::optional<Entities> entities;
};

struct CorpusRequest {
  const CorpusTest* test;
  std::string text;  // the request as JSON (with validateRequest), as the CLI would read it
  Request request;
};

struct Corpus {
  std::string error;
  std::vector<std::unique_ptr<CorpusTest>> tests;
  std::vector<CorpusRequest> requests;
  size_t skipped = 0;     // requests rejected by validation (expected by the corpus) or unloadable tests
  size_t mismatches = 0;  // decisions that disagree with the corpus' expectation (should be 0)
};

std::set<std::string> id_set(const nlohmann::json& j) {
  std::set<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& x : j) {
    if (x.is_string()) out.insert(x.get<std::string>());
    if (x.is_object() && x.contains("policyId")) out.insert(x["policyId"].get<std::string>());
  }
  return out;
}

const Corpus& corpus() {
  static Corpus c;
  static bool loaded = false;
  if (loaded) return c;
  loaded = true;
  fs::path root(g_corpus);
  fs::path dir = root / "corpus-tests";
  if (!fs::is_directory(dir)) {
    fs::create_directories(root);
    std::string cmd = "tar xzf " + shell_quote(TOLLGATE_CORPUS_TARBALL) + " -C " + shell_quote(root.string());
    if (std::system(cmd.c_str()) != 0 || !fs::is_directory(dir)) {
      c.error = "cannot unpack " TOLLGATE_CORPUS_TARBALL;
      return c;
    }
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() == ".json" && name.find(".entities.") == std::string::npos) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& f : files) {
    if (!slurp(f, text)) continue;
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.contains("requests")) continue;
    auto t = std::make_unique<CorpusTest>();
    auto field = [&](const char* k) { return doc.contains(k) ? doc[k].get<std::string>() : std::string(); };
    std::string body;
    if (std::string s = field("schema"); !s.empty() && slurp(root / s, body)) {
      auto r = parse_schema(body, s);
      if (r) t->schema = std::move(r).value();
    }
    const Schema* schema = t->schema ? &*t->schema : nullptr;
    if (!slurp(root / field("policies"), body)) continue;
    auto ps = parse_policies(body, field("policies"));
    if (!ps) {
      c.skipped += doc["requests"].size();
      continue;
    }
    t->policies = std::move(ps).value();
    if (!slurp(root / field("entities"), body)) continue;
    auto es = parse_entities(body, field("entities"), schema);
    if (!es) {
      c.skipped += doc["requests"].size();
      continue;
    }
    t->entities = std::move(es).value();
    for (const auto& rj : doc["requests"]) {
      std::string rtext = rj.dump();
      auto req = parse_request(rtext, schema);
      if (!req) {
        ++c.skipped;
        continue;
      }
      Response resp = authorize(*t->policies, *req, *t->entities);
      std::set<std::string> errs;
      for (const auto& e : resp.errors) errs.insert(e.policy);
      std::string want = rj.value("decision", std::string());
      std::transform(want.begin(), want.end(), want.begin(), [](unsigned char ch) { return std::tolower(ch); });
      bool ok = (resp.allow ? "allow" : "deny") == want &&
                std::set<std::string>(resp.reason.begin(), resp.reason.end()) == id_set(rj["reason"]) &&
                errs == id_set(rj["errors"]);
      if (!ok) ++c.mismatches;
      c.requests.push_back({t.get(), std::move(rtext), std::move(req).value()});
    }
    c.tests.push_back(std::move(t));
  }
  if (c.requests.empty()) c.error = "no corpus requests loaded from " + dir.string();
  return c;
}

void BM_Corpus(benchmark::State& state) {
  const Corpus& c = corpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  const size_t n = c.requests.size();
  size_t i = 0;
  for (auto _ : state) {
    const CorpusRequest& r = c.requests[i];
    Response resp = authorize(*r.test->policies, r.request, *r.test->entities);
    benchmark::DoNotOptimize(resp);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["tests"] = static_cast<double>(c.tests.size());
  state.counters["requests"] = static_cast<double>(n);
  state.counters["mismatches"] = static_cast<double>(c.mismatches);
}

void BM_CorpusRequestLine(benchmark::State& state) {
  const Corpus& c = corpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  const size_t n = c.requests.size();
  size_t i = 0;
  for (auto _ : state) {
    const CorpusRequest& r = c.requests[i];
    const Schema* schema = r.test->schema ? &*r.test->schema : nullptr;
    auto req = parse_request(r.text, schema);
    std::string out =
        req ? response_json(authorize(*r.test->policies, *req, *r.test->entities)) : error_json("bad request");
    benchmark::DoNotOptimize(out);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

constexpr int kSizes[] = {10, 100, 1000, 10000};

void sizes(benchmark::internal::Benchmark* b) {
  for (int s : kSizes) b->Arg(s);
}

BENCHMARK(BM_AuthorizeWarm)->Apply(sizes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuthorizeLatency)->Apply(sizes)->Unit(benchmark::kMillisecond)->Iterations(15);
BENCHMARK(BM_IdealIndex)->Apply(sizes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RequestLine)->Apply(sizes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseRequest)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParsePolicies)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadEntities)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Corpus)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CorpusRequestLine)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  // Our own flags first; the rest belongs to Google Benchmark.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--workloads=", 0) == 0) {
      g_workloads = a.substr(12);
    } else if (a.rfind("--corpus=", 0) == 0) {
      g_corpus = a.substr(9);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
