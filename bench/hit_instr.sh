#!/usr/bin/env bash
# Instructions per memp_fget + read + memp_fput hit (bench/hit_instr.c),
# counted by callgrind over the timed loop only: repeatable on a noisy
# machine. Prints one line per workload: uniform over 16384 resident pages
# (direct pins) and a hot set of 256 (thread-cache pins). The count includes
# the loop's own instructions (random number, check), the same for every
# version of the library. Arguments go to hit_instr (e.g. --ops 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash third_party/install_deps.sh
command -v valgrind >/dev/null || {
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get install -y -qq --no-install-recommends valgrind >/dev/null
}
bazel build --config=opt //bench:hit_instr
bin="$(bazel info --config=opt bazel-bin)/bench/hit_instr"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for hot in 16384 256; do
	ops=$(valgrind --tool=callgrind --collect-atstart=no \
		--toggle-collect=hit_loop --callgrind-out-file="$out" \
		"$bin" --hot "$hot" "$@" 2>/dev/null | awk '{print $2}')
	total=$(callgrind_annotate "$out" 2>/dev/null |
		awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
	awk -v t="$total" -v n="$ops" -v h="$hot" 'BEGIN {
		printf "hot set %5d pages: %.1f instructions per get+read+put (%d ops)\n",
		       h, t / n, n }'
done
