#!/usr/bin/env bash
# The main job (docs/benchmarks.md): build optimised, run the demo
# (examples/demo.c), then mpool_bench against Berkeley DB 5.3, then the
# installed forms (bench/forms.sh) and one thread's hits through each API
# (bench/hit_wall.sh). The Markdown report goes to stdout and to
# results/bench-<date>.md, its picture (bench/plot.sh) to .svg, the
# medians to .tsv; progress to stderr.
#
#   bash bench/run.sh          the short set, about 3 minutes on 2 cores:
#                              hit-uniform, hit-hot256, miss-uniform and the
#                              write-back pair at 1 and 2 threads, 3 runs
#   bash bench/run.sh --full   the whole matrix, 17 to 20 minutes: every
#                              workload at 1, 2, 4 and 8 threads, 5 runs;
#                              then mpool_pins (results/bench-pins-<date>.md)
#                              and the processes mode, mpool_bench_procs
#                              (results/bench-procs-<date>.md and .svg)
#   bash bench/run.sh [--full] OPTION...
#                              mpool_bench's OPTIONs replace the short set
#                              (over its defaults), e.g. --workload hit-zipf
#
# BENCH_PROCS_ARGS: mpool_bench_procs's options (e.g. "--runs 3");
# BENCH_FORMS_ARGS: forms.sh's (default --runs 5, 7 with --full);
# BENCH_FORMS=0, BENCH_HITWALL=0 skip forms.sh, hit_wall.sh.
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
if [ "${BENCH_HITWALL:-1}" != 0 ]; then
	echo | tee -a "$out.md"
	bash bench/hit_wall.sh --rounds $((full ? 7 : 5)) | tee -a "$out.md"
fi
echo "report: $out.md, picture: $out.svg" >&2
[ $full -eq 1 ] || exit 0

"$bin/bench/mpool_pins" --runs 3 --ms 250 | tee "results/bench-pins-$stamp.md"
echo "report: results/bench-pins-$stamp.md" >&2

out="results/bench-procs-$stamp"
# shellcheck disable=SC2086 # word splitting of the options is wanted
"$bin/bench/mpool_bench_procs" ${BENCH_PROCS_ARGS:-} --data "$out.tsv" |
	tee "$out.md"
bash bench/plot.sh "$out.tsv" "$out.svg"
echo "report: $out.md, picture: $out.svg" >&2
