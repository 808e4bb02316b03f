#!/usr/bin/env bash
# One thread's get + read + put hits (bench/hit_instr.c) through memp_*,
# the native API and the bare probe, uniform over 16384 resident pages and
# a hot set of 256 (docs/benchmarks.md, "Instruction counts").
#   bash bench/hit_instr.sh [hit_instr OPTION...]   (e.g. --ops 1000000)
# Instructions and mispredicted branches per hit, counted by callgrind over
# the loop only (repeatable on a noisy machine), a line per API and hot
# set; the loop's own (random number, call, check) apart as "loop".
#   bash bench/hit_instr.sh --wall [--rounds N] [--ops N]   (5, 33554432)
# Wall clock, a process a run, the six in turn each round: each path's
# median Mops/s and the medians of its ratios to the round's bare probe.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
wall=0 rounds=5 ops=33554432
if [ "${1:-}" = --wall ]; then
	wall=1
	shift
	bench_opts "bash bench/hit_instr.sh --wall [--rounds N] [--ops N]" "rounds|ops" "$@"
else
	bench_need valgrind valgrind
fi
bench_build //bench:hit_instr
bin="$bin/bench/hit_instr"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

flag() { [ "$1" = memp ] || echo "--$1"; } # hit_instr's option for an API

if [ $wall = 1 ]; then
	for ((r = 1; r <= rounds; r++)); do
		for hot in 16384 256; do
			line=$hot
			for api in memp native bare; do
				mops=$("$bin" --hot $hot $(flag $api) --ops "$ops" --seed $((42 + r)) |
					awk '/Mops\/s/ {print $(NF - 1)}')
				[ -n "$mops" ] || { echo "hit_instr --wall: $api failed" >&2; exit 1; }
				line+=" $mops"
			done
			echo "$line" >>"$out"
		done
		echo "hit_instr --wall: round $r of $rounds done" >&2
	done
	echo "## One thread's hits: memp_*, the native API and the bare probe"
	echo
	echo "bench/hit_instr's loop through each path, one process a run, $rounds rounds of the six runs in turn, $ops gets a run; medians."
	echo
	echo "| hot set | memp_* Mops/s | native Mops/s | bare probe Mops/s | memp_* / bare | native / bare | native / memp_* |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	for hot in 16384 256; do
		# $1 hot set, then a round's Mops/s: $2 memp_*, $3 native, $4 bare
		awk -v h=$hot "$BENCH_AWK_MEDIAN"'$1 == h {
			m[++n] = $2; nt[n] = $3; b[n] = $4
			mb[n] = $2 / $4; nb[n] = $3 / $4; nm[n] = $3 / $2
		}
		END {
			printf "| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", h,
			       median(m, n), median(nt, n), median(b, n), median(mb, n),
			       median(nb, n), median(nm, n)
		}' "$out"
	done
	exit 0
fi

# LINE_AWK, over a callgrind file with --dump-instr=yes: API a's line for
# hot set h, from its totals (t instructions, m mispredicted), the loop's
# share l and n ops. Callgrind's predictor is one table of 2-bit counters
# indexed by address and history: two branches of fixed, opposite outcomes
# that share a counter mispredict on every execution, which no
# data-dependent branch does. So the misses of the branches that ran at
# least every other op and mispredicted on 99% of their runs or more are
# counted apart (docs/benchmarks.md, "Instruction counts").
LINE_AWK='
function num(s,   v, i) {
	if (s !~ /^0x/)
		return s + 0
	for (i = 3; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
	return v
}
/^events:/ { for (i = 2; i <= NF; i++) ev[$i] = i - 1; next }
/^positions:/ { np = NF - 1; next }
/^calls=/ { skip = 1; next }
/^(0x|\+|-|\*|[0-9])/ {
	p = $1
	if (p ~ /^\+/) addr += num(substr(p, 2))
	else if (p ~ /^-/) addr -= num(substr(p, 2))
	else if (p != "*") addr = num(p)
	if (skip) { skip = 0; next }
	bc[addr] += $(np + ev["Bc"]); bcm[addr] += $(np + ev["Bcm"])
	next
}
END {
	for (i in bc)
		if (bc[i] >= n / 2 && bcm[i] >= 0.99 * bc[i])
			x += bcm[i]
	printf "%-6s hot set %5d pages: %.1f instructions (loop %.1f, %s %.1f), %.3f mispredicted branches per get+read+put",
	       a, h, t / n, l / n, a == "bare" ? "probe" : "library",
	       (t - l) / n, (m - x) / n
	if (x > 0)
		printf " (and %.3f at branches the simulator aliases)", x / n
	printf " (%d ops)\n", n
}'
for api in memp native bare; do
	for hot in 16384 256; do
		ops=$(valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect='hit_loop*' --branch-sim=yes --dump-instr=yes \
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
			-v a="$api" -v l="$loop" "$LINE_AWK" "$out"
	done
done
