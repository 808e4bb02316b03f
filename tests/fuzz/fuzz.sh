#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with libFuzzer (clang), under
# ASan+UBSan:
#   bash tests/fuzz/fuzz.sh memp|mpool [seconds] [libFuzzer flags...]
# Runs for `seconds` (default 60) on a copy of tests/fuzz/corpus/<target>,
# then merges what found new coverage back into that directory (minimised),
# ready to commit: the replay tests run it in every Bazel configuration.
# A crash or failed check leaves crash-* / leak-* files in the work
# directory it prints; replay one with `<binary> <file>`.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: fuzz.sh memp|mpool [seconds] [flags...]}
secs=${2:-60}
shift $(($# > 1 ? 2 : 1))
case $target in memp | mpool) ;; *) echo "unknown target $target" >&2; exit 2 ;; esac

bash third_party/install_deps.sh >/dev/null
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev >/dev/null
fi

out=${LFM_FUZZ_OUT:-/tmp/lfm-fuzz}
mkdir -p "$out/obj"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer $san -DLFM_SANITIZER=1 -DLFM_ASAN=1 -Iinclude -Isrc"
objs=()
for c in src/*.c; do
	o=$out/obj/$(basename "$c" .c).o
	if [ ! -e "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find src include -newer "$o" -name '*.h' | head -1)" ]; then
		clang -std=c11 -D_GNU_SOURCE -fvisibility=hidden -fsanitize=fuzzer-no-link $cflags -c "$c" -o "$o"
	fi
	objs+=("$o")
done
bin=$out/${target}_fuzz
clang++ -std=c++17 -Wall -Wextra -Werror $cflags -fsanitize=fuzzer tests/fuzz/"${target}"_fuzz*.cc "${objs[@]}" \
	-lck -ljemalloc -luring -lpthread -o "$bin"

work=$out/work-$target
mkdir -p "$work/corpus" "$work/artifacts"
cp -n tests/fuzz/corpus/"$target"/* "$work/corpus/" 2>/dev/null || true
echo "fuzz: $bin for ${secs}s; work directory $work"
rc=0
(cd "$work/artifacts" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	"$bin" -max_total_time="$secs" -timeout=20 -max_len=4096 -rss_limit_mb=4096 \
	-len_control=0 -print_final_stats=1 "$@" "$work/corpus") || rc=$?
mkdir -p "$work/merged"
rm -rf "$work/merged"/*
"$bin" -merge=1 "$work/merged" tests/fuzz/corpus/"$target" "$work/corpus" >/dev/null 2>&1 || true
rm -f tests/fuzz/corpus/"$target"/*
cp "$work/merged"/* tests/fuzz/corpus/"$target"/
echo "fuzz: corpus tests/fuzz/corpus/$target now has $(ls tests/fuzz/corpus/$target | wc -l) inputs"
exit $rc
