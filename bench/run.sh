#!/usr/bin/env bash
# The main job (docs/benchmarks.md, "Running them"): the demo, mpool_bench,
# the installed forms (forms.sh) and one thread's hits (hit_instr.sh
# --wall); with --full the whole matrix, then mpool_pins and
# mpool_bench_procs. Reports in results/bench-<date>.{md,tsv,svg} (and
# -pins-, -procs-, -forms-).
#   bash bench/run.sh [--full] [mpool_bench OPTION...]
# BENCH_PROCS_ARGS: mpool_bench_procs's options; BENCH_FORMS_ARGS:
# forms.sh's (default --runs 9, 15 with --full); BENCH_FORMS=0,
# BENCH_HITWALL=0 skip forms.sh, hit_instr.sh --wall.
set -euo pipefail

full=0 args=()
for a in "$@"; do
	[ "$a" = --full ] && full=1 || args+=("$a")
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
out=results/bench-$(date +%Y%m%d-%H%M%S)
# plot NAME CMD...: CMD's report to NAME.md, its table drawn
plot() {
	"${@:2}" --data "$1.tsv" | tee "$1.md"
	bash bench/plot.sh "$1.tsv" "$1.svg"
}
plot "$out" "$bin/bench/mpool_bench" "${args[@]}"
if [ "${BENCH_FORMS:-1}" != 0 ]; then
	# shellcheck disable=SC2206 # word splitting of the options is wanted
	forms_args=(${BENCH_FORMS_ARGS:---runs $((full ? 15 : 9))})
	echo | tee -a "$out.md"
	bash bench/forms.sh "${forms_args[@]}" \
		--data "${out/bench-/bench-forms-}.tsv" | tee -a "$out.md"
fi
if [ "${BENCH_HITWALL:-1}" != 0 ]; then
	echo | tee -a "$out.md"
	bash bench/hit_instr.sh --wall --rounds $((full ? 7 : 5)) | tee -a "$out.md"
fi
echo "report: $out.md, picture: $out.svg" >&2
[ $full -eq 1 ] || exit 0

"$bin/bench/mpool_pins" --runs 3 --ms 250 | tee "${out/bench-/bench-pins-}.md"
echo "report: ${out/bench-/bench-pins-}.md" >&2
# shellcheck disable=SC2086 # word splitting of the options is wanted
plot "${out/bench-/bench-procs-}" "$bin/bench/mpool_bench_procs" ${BENCH_PROCS_ARGS:-}
echo "report: ${out/bench-/bench-procs-}.md, picture: ${out/bench-/bench-procs-}.svg" >&2
