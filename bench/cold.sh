#!/usr/bin/env bash
# The cold-storage benchmark (issue 29): one thread's misses from a file
# dropped from the page cache before each run, beside the device's limits
# measured by fio on the same file in the same sitting, Berkeley DB 5.3 and
# a pread floor. Prints each figure (median of --rounds) and the ratios
# the issue names.
#   bash bench/cold.sh [--size MiB] [--seconds S] [--rounds N] [--dir D]
set -euo pipefail
cd "$(dirname "$0")/.."
size=2048 secs=10 rounds=1 dir=${COLD_DIR:-/var/tmp}
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	*) echo "usage: bash bench/cold.sh [--size MiB] [--seconds S] [--rounds N] [--dir D]" >&2; exit 2 ;;
	esac
done
bash third_party/install_deps.sh
command -v fio >/dev/null || { apt-get install -y -qq fio >/dev/null; }
bazel build --config=opt //bench:cold >/dev/null 2>&1
bin=bazel-bin/bench/cold
file=$dir/lfmpool-cold.$$.db
trap 'rm -f "$file"' EXIT
# Real blocks (not a sparse or preallocated file, which reads no device).
dd if=/dev/zero of="$file" bs=1M count="$size" oflag=direct status=none

fio_run() { # name rw bs depth -> IOPS (and MB/s for reads of 128k)
	fio --name="$1" --filename="$file" --rw="$2" --bs="$3" --iodepth="$4" \
		--direct=1 --ioengine=io_uring --runtime="$secs" --time_based \
		--output-format=json 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]
r=j["read"] if j["read"]["io_bytes"] else j["write"]
print("%.0f %.1f" % (r["iops"], r["bw_bytes"]/1e6))'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A v
for ((r = 0; r < rounds; r++)); do
	read -r v[fio_rr1_$r] _ < <(fio_run rr1 randread 4k 1)
	read -r v[fio_rr32_$r] _ < <(fio_run rr32 randread 4k 32)
	read -r _ v[fio_seq_$r] < <(fio_run seq read 128k 8)
	read -r v[fio_rw32_$r] _ < <(fio_run rw32 randwrite 4k 32)
	for m in pread get prefetch bdb scan; do
		read -r _ v[${m}_$r] _ < <($bin $m "$file" --seconds "$secs")
	done
	for m in prefetch scan write create; do
		out=$($bin $m "$file" --direct --seconds "$secs")
		v[${m}d_$r]=$(awk 'NR==1 {print $2}' <<<"$out")
		v[${m}d_mem_$r]=$(awk 'NR==2 {printf "%.4f", ($4 ? $2 / $4 : 0)}' <<<"$out")
	done
done
med() { for ((r = 0; r < rounds; r++)); do echo "${v[$1_$r]}"; done | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }
printf '%-44s %12s\n' "cold storage, 1 thread, ${size} MiB file, ${secs}s runs, median of $rounds" ""
printf '%-44s %12s\n' "fio randread 4k qd1 (IOPS)" "$(med fio_rr1)"
printf '%-44s %12s\n' "fio randread 4k qd32 (IOPS)" "$(med fio_rr32)"
printf '%-44s %12s\n' "fio read 128k qd8 (MB/s)" "$(med fio_seq)"
printf '%-44s %12s\n' "fio randwrite 4k qd32 (IOPS)" "$(med fio_rw32)"
printf '%-44s %12s\n' "pread floor (reads/s)" "$(med pread)"
printf '%-44s %12s\n' "Berkeley DB 5.3 gets/s" "$(med bdb)"
printf '%-44s %12s  %s x pread, %s x BDB\n' "lfmpool gets/s, no hints" "$(med get)" \
	"$(ratio "$(med get)" "$(med pread)")" "$(ratio "$(med get)" "$(med bdb)")"
printf '%-44s %12s  %s x fio qd32 (goal 0.7)\n' "lfmpool gets/s, prefetch lists of 16" "$(med prefetch)" \
	"$(ratio "$(med prefetch)" "$(med fio_rr32)")"
printf '%-44s %12s  %s x fio qd32 (goal 0.7)\n' "  the same, direct" "$(med prefetchd)" \
	"$(ratio "$(med prefetchd)" "$(med fio_rr32)")"
printf '%-44s %12s\n' "lfmpool scan, buffered (MB/s)" "$(med scan)"
printf '%-44s %12s  %s x fio seq (goal 0.8)\n' "lfmpool scan, direct (MB/s)" "$(med scand)" \
	"$(ratio "$(med scand)" "$(med fio_seq)")"
printf '%-44s %12s  %s x fio qd32 writes (goal 0.6)\n' "lfmpool write-back, direct (pages/s)" "$(med writed)" \
	"$(ratio "$(med writed)" "$(med fio_rw32)")"
printf '%-44s %12s  %s x fio qd32 writes\n' "  the same without reads (created pages)" "$(med created)" \
	"$(ratio "$(med created)" "$(med fio_rw32)")"
printf '%-44s %12s  (goal < 0.01)\n' "page cache after a direct scan / pages read" "$(med scand_mem)"
