#!/usr/bin/env bash
# The main job: build the benchmarks and the demo (optimised), run the demo
# (examples/demo.c),
# then the benchmark against Berkeley DB 5.3, then the installed forms
# (bench/forms.sh: the hit rows through the in-tree binary, the installed
# static archive and the installed shared library, interleaved). The
# Markdown report, both parts, goes to stdout and to
# results/bench-<date>.md, with its picture beside it,
# results/bench-<date>.svg (bench/plot.sh, from the medians the benchmark
# writes to results/bench-<date>.tsv; the forms' runs go to
# results/bench-forms-<date>.tsv). Progress, one line per finished cell
# with the time left, goes to stderr.
#
#   bash bench/run.sh          the short set, about 3 minutes on 2 cores:
#                              hit-uniform, hit-hot256, miss-uniform and the
#                              write-back pair (dirty-flush-off, -on) at 1 and
#                              2 threads, 3 runs each; the forms 5 times
#   bash bench/run.sh --full   the whole matrix, 17 to 20 minutes on 2 cores:
#                              every workload at 1, 2, 4 and 8 threads (the
#                              write-back pair up to 4, the mixed-shift pair
#                              up to 2, hit-uniform-1m, a 4 GiB pool and
#                              three 4 GiB files under $TMPDIR, at 1; the
#                              bare probe in the
#                              hit workloads, the pread floor in the miss
#                              workloads), 5 runs each; the forms 7 times;
#                              then mpool_pins
#                              (results/bench-pins-<date>.md) and the
#                              processes benchmark, mpool_bench_procs
#                              (results/bench-procs-<date>.md and .svg)
#   bash bench/run.sh [--full] OPTION...
#                              OPTIONs are mpool_bench's (`mpool_bench
#                              --help`) and replace the short set: the
#                              benchmark runs them over its own defaults
#                              (all workloads, 1,2,4,8 threads, 5 runs), e.g.
#                              --workload hit-zipf --threads 1,2. With --full,
#                              mpool_pins and mpool_bench_procs follow.
#
# mpool_bench_procs takes its options from BENCH_PROCS_ARGS, e.g.
# BENCH_PROCS_ARGS="--runs 3 --seconds 1" (default: about 3 minutes);
# bench/forms.sh from BENCH_FORMS_ARGS (e.g. "--runs 3"; default: --runs 5,
# 7 with --full, --seconds 0.5, about 75 s and 100 s); BENCH_FORMS=0 skips
# it. Then bench/hit_wall.sh (one thread's hits through memp_*, the native
# API and the bare probe; BENCH_HITWALL=0 skips it).
set -euo pipefail

full=0
args=()
for a in "$@"; do
	if [ "$a" = "--full" ]; then
		full=1
	else
		args+=("$a")
	fi
done
if [ ${#args[@]} -eq 0 ] && [ $full -eq 0 ]; then
	# shellcheck disable=SC2054 # the commas are the options' own
	args=(--workload hit-uniform,hit-hot256,miss-uniform,dirty-flush
		--threads 1,2 --runs 3)
fi

. "$(dirname "$0")/lib.sh"
targets=(//bench:mpool_bench //examples:demo)
[ $full -eq 0 ] || targets+=(//bench:mpool_pins //bench:mpool_bench_procs)
bench_build "${targets[@]}"

"$bin/examples/demo"

mkdir -p results
stamp="$(date +%Y%m%d-%H%M%S)"
out="results/bench-$stamp"
"$bin/bench/mpool_bench" "${args[@]}" --data "$out.tsv" |
	tee "$out.md"
bash bench/plot.sh "$out.tsv" "$out.svg"

# The installed forms, appended to the same report (docs/benchmarks.md,
# "The installed forms").
if [ "${BENCH_FORMS:-1}" != 0 ]; then
	if [ -n "${BENCH_FORMS_ARGS:-}" ]; then
		# shellcheck disable=SC2206 # word splitting of the options is wanted
		forms_args=($BENCH_FORMS_ARGS)
	elif [ $full -eq 1 ]; then
		forms_args=(--runs 7)
	else
		forms_args=(--runs 5)
	fi
	echo | tee -a "$out.md"
	bash bench/forms.sh "${forms_args[@]}" \
		--data "results/bench-forms-$stamp.tsv" | tee -a "$out.md"
fi
# One thread's hits through memp_*, the native API and the bare probe,
# the same loop around each (bench/hit_wall.sh, about 40 s; 7 rounds with
# --full); BENCH_HITWALL=0 skips it.
if [ "${BENCH_HITWALL:-1}" != 0 ]; then
	echo | tee -a "$out.md"
	bash bench/hit_wall.sh --rounds $((full ? 7 : 5)) | tee -a "$out.md"
fi
echo "report: $out.md, picture: $out.svg" >&2
[ $full -eq 1 ] || exit 0

# mpool(3): a get+put while pages stay pinned below, at and past maxcache
# (docs/protocol.md rule 12); about 10 s.
"$bin/bench/mpool_pins" --runs 3 --ms 250 | tee "results/bench-pins-$stamp.md"
echo "report: results/bench-pins-$stamp.md" >&2

# The hit path shared between processes, lfmpool against a shared BDB 5.3
# environment (docs/benchmarks.md, "The processes benchmark").
out="results/bench-procs-$stamp"
# shellcheck disable=SC2086 # word splitting of the options is wanted
"$bin/bench/mpool_bench_procs" ${BENCH_PROCS_ARGS:-} --data "$out.tsv" |
	tee "$out.md"
bash bench/plot.sh "$out.tsv" "$out.svg"
echo "report: $out.md, picture: $out.svg" >&2
