#!/usr/bin/env bash
# Instructions and mispredicted branches per get + read + put hit
# (bench/hit_instr.c), through memp_fget/memp_fput, through the native
# API's inline lfmpool_get/lfmpool_put, and through the bare probe (the
# floor, bench/bench_bare.c), counted by callgrind (with its
# branch simulation) over the timed loop only: repeatable on a noisy
# machine. Prints one line per API and workload: uniform over 16384 resident
# pages and a hot set of 256. The count includes the loop's own
# instructions (random number, call, check), the same for every version
# of the library: printed apart as "loop", and the rest as the library's. Arguments go to hit_instr (e.g. --ops 1000000).
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
