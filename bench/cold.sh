#!/usr/bin/env bash
# The cold-storage benchmark (issue 29): one thread's misses from a file
# dropped from the page cache before each run, beside the device's limits
# measured by fio on the same file in the same sitting, Berkeley DB 5.3 and
# a pread floor. Prints each figure (median of --rounds) and the ratios
# the issue names; --out P also writes them to P.tsv and draws P.svg
# (gnuplot): each lfmpool row as a ratio to its reference, beside its goal.
#   bash bench/cold.sh [--size MiB] [--seconds S] [--rounds N] [--dir D] [--out P]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
size=2048 seconds=10 rounds=1 dir=${COLD_DIR:-/var/tmp} out=
bench_opts "bash bench/cold.sh [--size MiB] [--seconds S] [--rounds N] [--dir D] [--out P]" \
	"size|seconds|rounds|dir|out" "$@"
bench_need fio fio
bench_build //bench:cold
bin=$bin/bench/cold
file=$dir/lfmpool-cold.$$.db
trap 'rm -f "$file" "$file.holes"' EXIT
# Real blocks (not a sparse or preallocated file, which reads no device).
dd if=/dev/zero of="$file" bs=1M count="$size" oflag=direct status=none

fio_run() { # name rw bs depth [file] -> IOPS, MB/s, write IOPS
	fio --name="$1" --filename="${5:-$file}" --rw="$2" --bs="$3" --iodepth="$4" \
		--direct=1 --ioengine=io_uring --runtime="$seconds" --time_based \
		--output-format=json 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]
r, w = j["read"], j["write"]
print("%.0f %.1f %.0f" % (r["iops"] + w["iops"], (r["bw_bytes"] + w["bw_bytes"])/1e6, w["iops"]))'
}
declare -A v
for ((r = 0; r < rounds; r++)); do
	read -r v[fio_rr1_$r] _ < <(fio_run rr1 randread 4k 1)
	read -r v[fio_rr32_$r] _ < <(fio_run rr32 randread 4k 32)
	read -r _ v[fio_seq_$r] < <(fio_run seq read 128k 8)
	read -r v[fio_rw32_$r] _ < <(fio_run rw32 randwrite 4k 32)
	# The write-back row's own mix (a read for each page written), and
	# the create row's (writes into holes: block allocation in ext4).
	read -r v[fio_rrw32_$r] _ v[fio_rrw32w_$r] < <(fio_run rrw32 randrw 4k 32)
	rm -f "$file.holes" && truncate -s "${size}M" "$file.holes"
	read -r v[fio_holes_$r] _ < <(fio_run holes randwrite 4k 32 "$file.holes")
	for m in pread get prefetch bdb scan; do
		read -r _ v[${m}_$r] _ < <($bin $m "$file" --seconds "$seconds")
	done
	for m in prefetch scan write create; do
		res=$($bin $m "$file" --direct --seconds "$seconds")
		v[${m}d_$r]=$(awk 'NR==1 {print $2}' <<<"$res")
		v[${m}d_mem_$r]=$(awk 'NR==2 {printf "%.4f", ($4 ? $2 / $4 : 0)}' <<<"$res")
	done
done
med() { for ((r = 0; r < rounds; r++)); do echo "${v[$1_$r]}"; done |
	sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }
[ -z "$out" ] || printf 'row\tfigure\treference\tref_figure\tratio\tgoal\n' >"$out.tsv"
row() { # label figure [reference ref_figure goal]: a line, and a TSV row
	local r="" note=${3:-}
	[ $# -lt 4 ] || { r=$(ratio "$2" "$4") && note="$r x $3${5:+ (goal $5)}"; }
	printf '%-44s %12s  %s\n' "$1" "$2" "$note"
	[ -z "$out" ] || [ $# -lt 4 ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$r" "${5:-}" >>"$out.tsv"
}
echo "cold storage, 1 thread, ${size} MiB file, ${seconds}s runs, median of $rounds"
row "fio randread 4k qd1 (IOPS)" "$(med fio_rr1)"
row "fio randread 4k qd32 (IOPS)" "$(med fio_rr32)"
row "fio read 128k qd8 (MB/s)" "$(med fio_seq)"
row "fio randwrite 4k qd32 (IOPS)" "$(med fio_rw32)"
row "fio randrw 4k qd32 (IOPS, of them writes)" "$(med fio_rrw32) $(med fio_rrw32w)"
row "fio randwrite 4k qd32, holes (IOPS)" "$(med fio_holes)"
row "pread floor (reads/s)" "$(med pread)"
row "Berkeley DB 5.3 gets/s" "$(med bdb)"
row "lfmpool gets/s, no hints" "$(med get)" "pread floor" "$(med pread)" 0.93
row "lfmpool gets/s, no hints" "$(med get)" "BDB 5.3" "$(med bdb)"
row "lfmpool gets/s, prefetch 16" "$(med prefetch)" "fio randread qd32" "$(med fio_rr32)"
row "lfmpool gets/s, prefetch 16, direct" "$(med prefetchd)" "fio randread qd32" "$(med fio_rr32)" 0.7
row "lfmpool scan, buffered (MB/s)" "$(med scan)"
row "lfmpool scan, direct (MB/s)" "$(med scand)" "fio read 128k" "$(med fio_seq)" 0.8
row "lfmpool write-back, direct (pages/s)" "$(med writed)" "fio randwrite qd32" "$(med fio_rw32)" 0.6
row "lfmpool write-back, direct (pages/s)" "$(med writed)" "fio randrw qd32 writes" "$(med fio_rrw32w)"
row "lfmpool create, direct (pages/s)" "$(med created)" "fio randwrite holes" "$(med fio_holes)"
row "page cache after a direct scan / pages read" "$(med scand_mem)" "(goal < 0.01)"
[ -z "$out" ] || gnuplot <<PLOT
set terminal svg size 900,460 font 'sans,11'; set output '$out.svg'
set datafile separator '\t'; set key autotitle columnhead top right; set yrange [0:*]
set style fill solid 0.6; set boxwidth 0.6; set xtics rotate by 30 right font ',9'
set ylabel 'lfmpool / reference'; set bmargin 8; set grid y
set title 'Cold storage, 1 thread, $size MiB file (bench/cold.sh): lfmpool against each reference'
plot '$out.tsv' using 0:5:xtic(substr(stringcolumn(1), 9, 99)."\\n/ ".stringcolumn(3)) with boxes title 'ratio', \
	'' using 0:(\$6 > 0 ? \$6 : 1/0) with points pt 7 ps 1.2 title 'goal'
PLOT
