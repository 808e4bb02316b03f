#!/usr/bin/env bash
# One thread's get + read + put hits (bench/hit_instr.c) through memp_*,
# the native API and the bare probe, uniform over 16384 resident pages and
# a hot set of 256 (docs/benchmarks.md, "Instruction counts").
#
#   bash bench/hit_instr.sh [hit_instr OPTION...]   (e.g. --ops 1000000)
# Instructions and mispredicted branches per hit, counted by callgrind over
# the loop only: repeatable on a noisy machine. A line per API and hot set;
# the loop's own instructions (random number, call, check) apart as "loop".
#
#   bash bench/hit_instr.sh --wall [--rounds N] [--ops N]   (5, 33554432)
# Wall clock: each round runs the six in turn, a process each; a Markdown
# table of each path's median Mops/s and the medians of its ratios to the
# bare probe of the same round.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
wall=0 rounds=5 ops=33554432
if [ "${1:-}" = --wall ]; then
	wall=1
	shift
	while [ $# -ge 2 ] && [[ $1 =~ ^--(rounds|ops)$ ]]; do
		declare "${1#--}=$2"
		shift 2
	done
	[ $# -eq 0 ] || {
		echo "usage: bash bench/hit_instr.sh --wall [--rounds N] [--ops N]" >&2
		exit 2
	}
else
	bench_need valgrind valgrind
fi
bench_build //bench:hit_instr
bin="$bin/bench/hit_instr"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# flag API: hit_instr's option for API's loop
flag() { [ "$1" = memp ] || echo "--$1"; }

for ((r = 1; wall && r <= rounds; r++)); do
	for hot in 16384 256; do
		for api in memp native bare; do
			mops=$("$bin" --hot $hot $(flag $api) --ops "$ops" --seed $((42 + r)) |
				awk '/Mops\/s/ {print $(NF - 1)}')
			[ -n "$mops" ] || { echo "hit_instr --wall: $api failed" >&2; exit 1; }
			echo "$r $hot $api $mops" >>"$out"
		done
	done
	echo "hit_instr --wall: round $r of $rounds done" >&2
done
if [ $wall = 1 ]; then
	echo "## One thread's hits: memp_*, the native API and the bare probe"
	echo
	echo "bench/hit_instr's loop through each path, one process a run, $rounds rounds of the six runs in turn, $ops gets a run; medians."
	echo
	echo "| hot set | memp_* Mops/s | native Mops/s | bare probe Mops/s | memp_* / bare | native / bare | native / memp_* |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	exec awk "$BENCH_AWK_MEDIAN"'
	{ v[$1, $2, $3] = $4; rs[$1] = 1 }
	END {
		split("16384 256", hots, " ")
		for (k = 1; k <= 2; k++) {
			h = hots[k]; n = 0
			for (r in rs) {
				n++
				m[n] = v[r, h, "memp"]; nt[n] = v[r, h, "native"]
				b[n] = v[r, h, "bare"]
				mb[n] = m[n] / b[n]; nb[n] = nt[n] / b[n]; nm[n] = nt[n] / m[n]
			}
			printf "| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", h,
			       median(m, n), median(nt, n), median(b, n), median(mb, n),
			       median(nb, n), median(nm, n)
		}
	}' "$out"
fi

for api in memp native bare; do
	for hot in 16384 256; do
		ops=$(valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect='hit_loop*' --branch-sim=yes \
			--callgrind-out-file="$out" "$bin" --hot $hot $(flag $api) "$@" 2>/dev/null |
			awk '{print $2}')
		# Columns without percentages: Ir Bc Bcm Bi Bim. The loop's
		# own share: the self cost of hit_loop* and what is inlined
		# into it from the benchmark (the generator), not the API.
		read -r total mispred loop < <(callgrind_annotate \
			--show-percs=no --inclusive=no "$out" 2>/dev/null |
			awk '/PROGRAM TOTALS/ {gsub(",", "", $1); gsub(",", "", $3);
			     t = $1; m = $3}
			     /:hit_loop/ && /bench\// {gsub(",", "", $1); l += $1}
			     END {print t, m, l + 0}')
		awk -v t="$total" -v m="$mispred" -v n="$ops" -v h="$hot" \
			-v a="$api" -v l="$loop" 'BEGIN {
			printf "%-6s hot set %5d pages: %.1f instructions (loop %.1f, %s %.1f), %.3f mispredicted branches per get+read+put (%d ops)\n",
			       a, h, t / n, l / n, a == "bare" ? "probe" : "library",
			       (t - l) / n, m / n, n }'
	done
done
