#!/usr/bin/env bash
# Build the benchmark and the demo (optimised), run the demo, then the
# benchmark with this script's arguments (see `mpool_bench --help`), keeping
# the Markdown report in results/bench-<date>.md. With no arguments every
# workload runs, the write-back pair (dirty-flush-off, dirty-flush-on: 1, 2
# and 4 threads, fget latency), the bare probe in the hit workloads and the
# pread floor in the miss workloads included: about 7 minutes on 2 cores.
set -euo pipefail

cd "$(dirname "$0")/.."
bash third_party/install_deps.sh
bazel build --config=opt //bench:mpool_bench //bench:demo
bin="$(bazel info --config=opt bazel-bin)"

"$bin/bench/demo"

mkdir -p results
out="results/bench-$(date +%Y%m%d-%H%M%S).md"
"$bin/bench/mpool_bench" "$@" | tee "$out"
echo "report: $out" >&2

# mpool(3): a get+put while pages stay pinned below, at and past maxcache
# (docs/protocol.md rule 12); about 10 s.
bazel build --config=opt //bench:mpool_pins
out_pins="results/bench-pins-$(date +%Y%m%d-%H%M%S).md"
"$bin/bench/mpool_pins" --runs 3 --ms 250 | tee "$out_pins"
echo "report: $out_pins" >&2

# The hit path shared between processes, lfmpool against a shared BDB 5.3
# environment (docs/bench-procs.md); its options come from BENCH_PROCS_ARGS,
# e.g. BENCH_PROCS_ARGS="--runs 3 --seconds 1" (default: about 3 minutes).
bazel build --config=opt //bench:mpool_bench_procs
out_procs="results/bench-procs-$(date +%Y%m%d-%H%M%S).md"
# shellcheck disable=SC2086 # word splitting of the options is wanted
"$bin/bench/mpool_bench_procs" ${BENCH_PROCS_ARGS:-} | tee "$out_procs"
echo "report: $out_procs" >&2
