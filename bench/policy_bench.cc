// Google Benchmark program for the policy author's tools: strict validation
// of the agent-shaped workload's policy sets (10 … 10,000 policies) against
// bench/agent.cedarschema, the whole `policy check` pipeline on the same
// files as a pack (parse, ids and annotations, validation, lint), and the
// formatter.
//
//   tollgate_policy_bench [--workloads=DIR] [benchmark flags…]
//
// The workloads are the ones tollgate_cedar_bench uses
// (<build>/bench/workloads/agent-N/policies.cedar, written by
// bench/gen_workload.mjs, generated on first use when node is available).
// Figures are recorded in docs/performance.md ("Policy tools").
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cedar/cedar.h"
#include "cedar/validator.h"
#include "policy/format.h"
#include "policy/lint.h"
#include "policy/pack.h"

#include "bench_workloads.h"

namespace {

using tollgate::bench::g_workloads;
using tollgate::bench::shell_quote;
using tollgate::bench::slurp;

namespace fs = std::filesystem;
using namespace tollgate;

struct Workload {
  std::string error;
  std::string policy_text, schema_text;
  std::optional<cedar::PolicySet> policies;
  std::optional<cedar::Schema> schema;
};

Workload& workload(int size) {
  static std::map<int, std::unique_ptr<Workload>> cache;
  auto& slot = cache[size];
  if (slot) return *slot;
  slot = std::make_unique<Workload>();
  Workload& w = *slot;
  fs::path dir;
  if (std::string err = tollgate::bench::ensure_workload(size, "policies.cedar", dir); !err.empty()) {
    w.error = err;
    return w;
  }
  if (!slurp(dir / "policies.cedar", w.policy_text) ||
      !slurp(TOLLGATE_BENCH_SOURCE_DIR "/agent.cedarschema", w.schema_text)) {
    w.error = "cannot read the workload in " + dir.string();
    return w;
  }
  auto ps = cedar::parse_policies(w.policy_text, "policies.cedar");
  auto sc = cedar::parse_schema(w.schema_text, "agent.cedarschema");
  if (!ps || !sc) {
    w.error = "the workload or its schema does not parse";
    return w;
  }
  w.policies = std::move(ps).value();
  w.schema = std::move(sc).value();
  auto v = cedar::validate(*w.policies, *w.schema);
  if (!v.ok()) w.error = "the workload does not validate: " + v.errors.front().str();
  return w;
}

// Strict validation alone: policies parsed, schema parsed, once.
void BM_Validate(benchmark::State& state) {
  Workload& w = workload(static_cast<int>(state.range(0)));
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  for (auto _ : state) {
    auto v = cedar::validate(*w.policies, *w.schema);
    benchmark::DoNotOptimize(v);
  }
  state.counters["policies"] = static_cast<double>(w.policies->instances().size());
}
BENCHMARK(BM_Validate)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// What `tollgate policy check` does after reading the files: load the pack
// (parse, ids, annotations, schema, validation) and lint it.
void BM_CheckPack(benchmark::State& state) {
  Workload& w = workload(static_cast<int>(state.range(0)));
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  std::vector<policy::PackFile> files = {{"policies.cedar", w.policy_text}, {"schema.cedarschema", w.schema_text}};
  for (auto _ : state) {
    auto pack = policy::load_pack_files(files, "agent");
    if (!pack) return state.SkipWithError(pack.error().message.c_str());
    auto lint = policy::lint_pack(**pack);
    benchmark::DoNotOptimize(lint);
  }
}
BENCHMARK(BM_CheckPack)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// `tollgate policy fmt` on the policy text.
void BM_Format(benchmark::State& state) {
  Workload& w = workload(static_cast<int>(state.range(0)));
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  for (auto _ : state) {
    auto out = policy::format_policies(w.policy_text, "policies.cedar");
    if (!out) return state.SkipWithError(out.error().message.c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.policy_text.size()));
}
BENCHMARK(BM_Format)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--workloads=", 0) == 0) {
      g_workloads = a.substr(12);
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
