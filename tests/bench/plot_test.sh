#!/usr/bin/env bash
# The benchmarks' --data tables and bench/plot.sh's pictures of them: a
# tiny run of each benchmark (a few hundredths of a second per run) must
# write a table with a row per cell and system, median between minimum and
# maximum, keep its progress lines off the report, and plot.sh must draw an
# SVG with a titled panel per workload and the systems' names in the key.
# Speed is not checked. Needs gnuplot (third_party/install_deps.sh). Runs
# in every configuration (under --config=tsan without mpool_bench_procs).
set -euo pipefail

fail() {
	echo "plot_test: FAILED: $*" >&2
	exit 1
}

dir="${TEST_TMPDIR:-$(mktemp -d)}"
export TMPDIR="$dir"
# Under --config=tsan: Berkeley DB 5.3 is not built with ThreadSanitizer,
# which sees only its mutexes (one per buffer), through its interceptors;
# their order is BDB's business, and the deadlock detector chokes on their
# number. Data races are still reported.
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}detect_deadlocks=0"
bench="bench/mpool_bench"
procs="bench/mpool_bench_procs"
plot="bench/plot.sh"
for f in "$bench" "$procs" "$plot"; do
	[ -e "$f" ] || fail "$f not found (run under bazel test)"
done
command -v gnuplot >/dev/null || fail "gnuplot not found (Debian: gnuplot-nox)"

# check_table FILE NCOLS WANT: the rows (after the '#' lines and the
# header) must be exactly the lines of WANT, each followed by its numbers:
# min <= median <= max, min > 0, and the number of runs given.
check_table() {
	local file=$1 ncols=$2 want=$3 runs=$4
	grep -q '^# date: ' "$file" || fail "$file: no date line"
	grep -q '^# machine: ' "$file" || fail "$file: no machine line"
	awk -F'\t' -v n="$ncols" -v runs="$runs" '
		/^#/ { next }
		!hdr { hdr = 1; next }
		NF != n + 4 { print "bad row: " $0; bad = 1; next }
		{
			med = $(n + 1); lo = $(n + 2); hi = $(n + 3)
			if (!(lo > 0 && lo <= med && med <= hi) || $(n + 4) != runs) {
				print "bad numbers: " $0; bad = 1
			}
		}
		END { exit bad }' "$file" || fail "$file: rows"
	diff <(grep -v '^#' "$file" | tail -n +2 | cut -f1-"$ncols") \
		<(printf '%s\n' "$want") || fail "$file: not the cells run"
}

# mpool_bench: a hit workload (bare probe) and a miss workload (floor).
"$bench" --workload hit-hot256,miss-uniform --threads 1,2 --runs 2 \
	--seconds 0.05 --data "$dir/b.tsv" >"$dir/b.md" 2>"$dir/b.err" ||
	fail "mpool_bench: exit status $? ($(tail -3 "$dir/b.err"))"
head -n 6 "$dir/b.tsv" | grep -qx \
	"$(printf 'workload\tthreads\tsystem\tmops_median\tmops_min\tmops_max\truns')" ||
	fail "b.tsv: header"
check_table "$dir/b.tsv" 3 "$(printf '%s\n' \
	"hit-hot256	1	lfmpool" "hit-hot256	2	lfmpool" \
	"hit-hot256	1	bdb5.3" "hit-hot256	2	bdb5.3" \
	"hit-hot256	1	bare" "hit-hot256	2	bare" \
	"miss-uniform	1	lfmpool" "miss-uniform	2	lfmpool" \
	"miss-uniform	1	bdb5.3" "miss-uniform	2	bdb5.3" \
	"miss-uniform	1	floor" "miss-uniform	2	floor")" 2
for i in 1 2 3 4; do
	grep -q "^mpool_bench: cell $i/4 done: .*; elapsed [0-9]* s, ~[0-9]* s left$" \
		"$dir/b.err" || fail "no progress line for cell $i/4"
done
grep -q '^## Throughput' "$dir/b.md" || fail "b.md: no report"
if grep -q 'cell [0-9]' "$dir/b.md"; then
	fail "b.md: progress in the report"
fi

bash "$plot" "$dir/b.tsv" "$dir/b.svg" || fail "plot.sh b.tsv"
grep -q '<svg' "$dir/b.svg" || fail "b.svg: not an SVG"
for s in hit-hot256 miss-uniform "Berkeley DB 5.3" lfmpool \
	"floor: bare probe" "floor: pread" threads Mops/s; do
	grep -qF "$s" "$dir/b.svg" || fail "b.svg: no '$s'"
done

# mpool_bench_procs: x is the number of processes.
check_procs() {
	"$procs" --workload hit-hot256 --procs 1,2 --threads 1 --runs 1 \
		--seconds 0.05 --pages 1024 --dir "$dir" --data "$dir/p.tsv" \
		>"$dir/p.md" 2>"$dir/p.err" ||
		fail "mpool_bench_procs: exit status $? ($(tail -3 "$dir/p.err"))"
	check_table "$dir/p.tsv" 4 "$(printf '%s\n' \
		"hit-hot256	1	1	lfmpool" "hit-hot256	2	1	lfmpool" \
		"hit-hot256	1	1	bdb5.3" "hit-hot256	2	1	bdb5.3")" 1
	grep -q '^mpool_bench_procs: cell 2/2 done: hit-hot256, 2 procs x 1 thread;' \
		"$dir/p.err" || fail "no progress line for cell 2/2"
	bash "$plot" "$dir/p.tsv" "$dir/p.svg" || fail "plot.sh p.tsv"
	for s in processes "1 thread/process" hit-hot256; do
		grep -qF "$s" "$dir/p.svg" || fail "p.svg: no '$s'"
	done
}

# ThreadSanitizer does not support threads started after a multithreaded
# process forks, and the parent's pool has flusher threads when it forks
# the workers: under --config=tsan only mpool_bench's part runs.
if grep -qa -e libtsan -e ThreadSanitizer "$procs"; then
	echo "plot_test: mpool_bench_procs not run: built with ThreadSanitizer"
else
	check_procs
fi

# Anything else is refused, and no picture is left.
printf 'a\tb\n1\t2\n' >"$dir/x.tsv"
if bash "$plot" "$dir/x.tsv" "$dir/x.svg" 2>/dev/null; then
	fail "plot.sh drew a table that is not --data's"
fi
[ ! -e "$dir/x.svg" ] || fail "plot.sh left a picture of a bad table"
echo "plot_test: passed"
