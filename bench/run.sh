#!/usr/bin/env bash
# Tollgate's Cedar engine next to the reference implementation
# (@cedar-policy/cedar-wasm, pinned in tools/difftest/package.json).
#
#   bench/run.sh BUILD_DIR
#
# BUILD_DIR is a (Release) build tree holding src/cli/tollgate and
# bench/tollgate_cedar_bench. Everything generated goes under
# BUILD_DIR/bench/: workloads/ (bench/gen_workload.mjs), corpus/ (the upstream
# conformance corpus, unpacked from ../shared), results/ (timings, answers,
# Google Benchmark JSON, report.txt).
#
# For each agent workload (10, 100, 1,000, 10,000 policies) it times
#   (a) `tollgate cedar authorize --requests` on the workload's requests, and
#       the same command with no requests (start-up and loading only);
#   (b) the reference's statefulIsAuthorized per request (bench/ref_bench.mjs),
#       with each request's entity slice, and with the whole entity set on a
#       sample of requests;
# checks that both gave the same answers, then does the same for the
# conformance corpus, runs tollgate_cedar_bench for per-decision medians and
# prints the table (docs/performance.md explains every column).
#
# Environment: SIZES ("10 100 1000 10000"), RUNS (CLI runs per workload, 3),
# REPEAT (the CLI is timed on the requests repeated this many times, 5),
# REPS (benchmark repetitions, 5), FULL_SAMPLE (requests timed with the whole
# entity set, 20), BENCH_ARGS (extra tollgate_cedar_bench flags, e.g.
# --benchmark_filter=…), TOLLGATE_SHARED (../shared). Run it on an idle machine:
# the script runs one thing at a time.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: bench/run.sh BUILD_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${TOLLGATE_SHARED:-$ROOT/../shared}
TARBALL=$SHARED/cedar-integration-tests/corpus-dev.tar.gz
TOLLGATE=$BUILD/src/cli/tollgate
BENCH=$BUILD/bench/tollgate_cedar_bench
WORK=$BUILD/bench
WL=$WORK/workloads
CORPUS=$WORK/corpus
OUT=$WORK/results
SIZES=${SIZES:-"10 100 1000 10000"}
RUNS=${RUNS:-3}
REPS=${REPS:-5}
FULL_SAMPLE=${FULL_SAMPLE:-20}
REPEAT=${REPEAT:-5}
BENCH_ARGS=${BENCH_ARGS:-}

log() { printf '\n== %s\n' "$*" >&2; }

for f in "$TOLLGATE" "$BENCH"; do
  [ -x "$f" ] || { echo "run.sh: $f not found; build $BUILD first (ninja -C $BUILD)" >&2; exit 2; }
done
command -v node >/dev/null || { echo "run.sh: node is required" >&2; exit 2; }
if [ ! -d "$ROOT/tools/difftest/node_modules/@cedar-policy/cedar-wasm" ]; then
  log "installing the reference (npm ci in tools/difftest)"
  (cd "$ROOT/tools/difftest" && npm ci --no-audit --no-fund --loglevel=error)
fi

rm -rf "$OUT"
mkdir -p "$OUT"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "kernel: $(uname -r)"
  echo "node: $(node --version)"
  echo "compiler: $(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt") $(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

log "generating workloads into $WL"
node "$HERE/gen_workload.mjs" --out "$WL"

if [ ! -d "$CORPUS/corpus-tests" ]; then
  log "unpacking the conformance corpus into $CORPUS"
  mkdir -p "$CORPUS"
  tar xzf "$TARBALL" -C "$CORPUS"
fi

# Runs "$@" with stdout to $1's file; appends "wall user sys" to $2's file.
timed() {
  local stdout=$1 times=$2
  shift 2
  local TIMEFORMAT='%R %U %S'
  { time "$@" >"$stdout" 2>"$OUT/last.stderr"; } 2>>"$times"
}

# JSON array of column $2 of file $1.
column() { awk -v c="$2" 'BEGIN { printf "[" } { printf "%s%s", (NR > 1 ? "," : ""), $c } END { printf "]" }' "$1"; }

for size in $SIZES; do
  dir=$WL/agent-$size
  n=$(grep -c . "$dir/requests.jsonl")
  # The CLI is timed on the requests repeated REPEAT times, so that the
  # per-request time stands well above start-up and timer resolution.
  for _ in $(seq "$REPEAT"); do cat "$dir/requests.jsonl"; done >"$OUT/requests.jsonl"
  log "agent-$size: tollgate cedar authorize ($n requests × $REPEAT, $RUNS runs)"
  rm -f "$OUT/t.full" "$OUT/t.load"
  for _ in $(seq "$RUNS"); do
    timed "$OUT/answers.jsonl" "$OUT/t.full" \
      "$TOLLGATE" cedar authorize --policies "$dir/policies.cedar" --entities "$dir/entities.json" \
      --requests "$OUT/requests.jsonl"
    timed /dev/null "$OUT/t.load" \
      "$TOLLGATE" cedar authorize --policies "$dir/policies.cedar" --entities "$dir/entities.json" --requests /dev/null
  done
  head -n "$n" "$OUT/answers.jsonl" >"$OUT/agent-$size.tollgate.jsonl"
  rm -f "$OUT/answers.jsonl" "$OUT/requests.jsonl"
  printf '{"distinct":%d,"requests":%d,"runs":%s,"cpu":%s,"loadRuns":%s,"loadCpu":%s}\n' "$n" "$((n * REPEAT))" \
    "$(column "$OUT/t.full" 1)" "$(awk '{print $2+$3}' "$OUT/t.full" | column /dev/stdin 1)" \
    "$(column "$OUT/t.load" 1)" "$(awk '{print $2+$3}' "$OUT/t.load" | column /dev/stdin 1)" \
    >"$OUT/agent-$size.tollgate.json"

  log "agent-$size: reference, per-request entity slices ($n requests)"
  node "$HERE/ref_bench.mjs" agent --dir "$dir" --entities slice --out "$OUT/agent-$size.reference.jsonl" \
    | tee "$OUT/agent-$size.reference.json" >&2
  log "agent-$size: reference, whole entity set ($FULL_SAMPLE requests)"
  node "$HERE/ref_bench.mjs" agent --dir "$dir" --entities full --limit "$FULL_SAMPLE" \
    | tee "$OUT/agent-$size.reference-full.json" >&2
  log "agent-$size: same answers?"
  node "$HERE/ref_bench.mjs" compare "$OUT/agent-$size.tollgate.jsonl" "$OUT/agent-$size.reference.jsonl" \
    | tee "$OUT/agent-$size.compare.json" >&2 || true
done

log "corpus: tollgate cedar test ($RUNS runs)"
rm -f "$OUT/t.corpus"
for _ in $(seq "$RUNS"); do
  timed "$OUT/corpus.tollgate.txt" "$OUT/t.corpus" "$TOLLGATE" cedar test "$CORPUS/corpus-tests" || true
done
passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$OUT/corpus.tollgate.txt")
failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$OUT/corpus.tollgate.txt")
printf '{"requests":%d,"failed":%d,"runs":%s,"cpu":%s}\n' "$((passed + failed))" "$failed" \
  "$(column "$OUT/t.corpus" 1)" "$(awk '{print $2+$3}' "$OUT/t.corpus" | column /dev/stdin 1)" \
  >"$OUT/corpus.tollgate.json"
log "corpus: reference"
node --harmony-json-parse-with-source "$HERE/ref_bench.mjs" corpus --dir "$CORPUS" | tee "$OUT/corpus.reference.json" >&2

log "tollgate_cedar_bench ($REPS repetitions, medians)"
"$BENCH" --workloads="$WL" --corpus="$CORPUS" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_out="$OUT/bench.json" --benchmark_out_format=json \
  $BENCH_ARGS >&2

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
rm -f "$OUT"/t.* "$OUT/last.stderr"
node "$HERE/ref_bench.mjs" report "$OUT" | tee "$OUT/report.txt"

# Fail when the engines disagreed on the workload.
if grep -L '"disagreements":0' "$OUT"/agent-*.compare.json | grep -q .; then
  echo "run.sh: Tollgate and the reference disagree; see $OUT/agent-*.compare.json" >&2
  exit 1
fi
