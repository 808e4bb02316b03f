#!/usr/bin/env bash
# Instructions and mispredicted branches per get + read + put hit
# (bench/hit_instr.c) through memp_*, the native API and the bare probe,
# counted by callgrind over the loop only: repeatable on a noisy machine.
# One line per API and hot set (16384 pages, 256). The loop's own
# instructions (random number, call, check) are printed apart as "loop".
# Arguments go to hit_instr (e.g. --ops 1000000).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || {
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get install -y -qq --no-install-recommends valgrind >/dev/null
}
bench_build //bench:hit_instr
bin="$bin/bench/hit_instr"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for api in memp native bare; do
	for hot in 16384 256; do
		flag=""
		[ "$api" = memp ] || flag="--$api"
		ops=$(valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect='hit_loop*' --branch-sim=yes \
			--callgrind-out-file="$out" \
			"$bin" --hot "$hot" $flag "$@" 2>/dev/null |
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
