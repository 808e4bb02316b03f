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

# ALIASED_AWK, over a callgrind file with --dump-instr=yes: the
# mispredictions of the branch instructions that ran at least once every
# other op (n ops) and mispredicted on 99% of their runs or more.
ALIASED_AWK='
function num(s, neg, v, i, c) {
	if (s !~ /^0x/)
		return s + 0
	v = 0
	for (i = 3; i <= length(s); i++) {
		c = index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		v = v * 16 + c
	}
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
	for (a in bc)
		if (bc[a] >= n / 2 && bcm[a] >= 0.99 * bc[a])
			x += bcm[a]
	print x + 0
}'
for api in memp native bare; do
	for hot in 16384 256; do
		ops=$(valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect='hit_loop*' --branch-sim=yes --dump-instr=yes \
			--callgrind-out-file="$out" "$bin" --hot $hot $(flag $api) "$@" 2>/dev/null |
			awk '{print $2}')
		# Callgrind's predictor is one table of 2-bit counters indexed by
		# address and history: two branches of fixed, opposite outcomes
		# that share a counter mispredict on every execution, which no
		# data-dependent branch does. Their misses are counted apart
		# (docs/benchmarks.md, "Instruction counts").
		aliased=$(awk -v n="$ops" "$ALIASED_AWK" "$out")
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
			-v a="$api" -v l="$loop" -v x="$aliased" 'BEGIN {
			printf "%-6s hot set %5d pages: %.1f instructions (loop %.1f, %s %.1f), %.3f mispredicted branches per get+read+put",
			       a, h, t / n, l / n, a == "bare" ? "probe" : "library",
			       (t - l) / n, (m - x) / n
			if (x > 0)
				printf " (and %.3f at branches the simulator aliases)", x / n
			printf " (%d ops)\n", n }'
	done
done
