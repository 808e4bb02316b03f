#!/usr/bin/env bash
# Wall clock of one thread's hits through bench/hit_instr.c's three loops
# (memp_*, the native API, the bare probe), uniform over 16384 resident
# pages and a hot set of 256. Each round runs the six in turn, a process
# each; the table gives each path's median Mops/s and the medians of its
# ratios to the bare probe of the same round. Markdown on stdout.
#
#   bash bench/hit_wall.sh [--rounds N] [--ops N]   (defaults 5, 33554432)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=5
ops=33554432
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds="$2"; shift 2 ;;
	--ops) ops="$2"; shift 2 ;;
	*) echo "usage: bench/hit_wall.sh [--rounds N] [--ops N]" >&2; exit 2 ;;
	esac
done
bench_build //bench:hit_instr
bin="$bin/bench/hit_instr"
data=$(mktemp)
trap 'rm -f "$data"' EXIT

for r in $(seq 1 "$rounds"); do
	for hot in 16384 256; do
		for api in memp native bare; do
			flag=""
			[ "$api" = memp ] || flag="--$api"
			mops=$("$bin" --hot "$hot" --ops "$ops" --seed $((42 + r)) \
				$flag | awk '/Mops\/s/ {print $(NF - 1)}')
			[ -n "$mops" ] || { echo "hit_wall: $api failed" >&2; exit 1; }
			echo "$r $hot $api $mops" >>"$data"
		done
	done
	echo "hit_wall: round $r of $rounds done" >&2
done

echo "## One thread's hits: memp_*, the native API and the bare probe"
echo
echo "bench/hit_instr's loop through each path, one process a run, $rounds rounds of the six runs in turn, $ops gets a run; medians."
echo
echo "| hot set | memp_* Mops/s | native Mops/s | bare probe Mops/s | memp_* / bare | native / bare | native / memp_* |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
awk '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ v[$1, $2, $3] = $4; rs[$1] = 1; hs[$2] = 1 }
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
}' "$data"
