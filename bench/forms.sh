#!/usr/bin/env bash
# The hit rows of mpool_bench through three builds of the same driver:
# in-tree (bazel --config=opt), static and shared (cc against what
# install.sh put in a temporary prefix); nm and ldd check that each binary
# uses the form it claims (docs/benchmarks.md, "The installed forms").
# Markdown on stdout; --data FILE: every run, tab-separated.
#   bash bench/forms.sh [--runs N (9)] [--seconds S (0.5)] [--data FILE]
#       [--workload W,... (hit-uniform,hit-hot256)] [--threads N,... (1,2)]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=9 seconds=0.5 workload=hit-uniform,hit-hot256 threads=1,2 data=
bench_opts "bash bench/forms.sh [--runs N (9)] [--seconds S (0.5)] [--data FILE]" \
	"runs|seconds|workload|threads|data" "$@"
[[ $runs =~ ^[1-9][0-9]*$ ]] || bench_usage
fail() {
	echo "forms: FAILED: $*" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
bench_build //bench:mpool_bench
bench_quiet bash install.sh --prefix "$prefix" || fail "install.sh --prefix $prefix"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

# mpool_bench's C sources as bench/BUILD globs them, one compiler command
# for both installed forms, only the library's link items differing.
cflags=(-O2 -std=c11 -D_GNU_SOURCE -pthread)
static_libs=$(pkg-config --static --libs lfmpool)
declare -A bin=([in-tree]=$bin/bench/mpool_bench
	[static]=$work/mpool_bench-static [shared]=$work/mpool_bench-shared)
declare -A libs=([static]=${static_libs/-llfmpool/-l:liblfmpool.a}
	[shared]=$(pkg-config --libs lfmpool))
# shellcheck disable=SC2046,SC2086 # pkg-config's words are split on purpose
for f in static shared; do
	cc "${cflags[@]}" $(pkg-config --cflags lfmpool) bench/bench_*.c \
		-o "${bin[$f]}" ${libs[$f]} -ldb-5.3 -lm
done
run_env() { # run_env FORM CMD...: as the form must run
	if [ "$1" = shared ]; then
		LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "${@:2}"
	else
		"${@:2}"
	fi
}

# The in-tree and static binaries define memp_fget and need no liblfmpool;
# the shared one leaves it undefined (versioned LFMPOOL_0) and loads the
# installed liblfmpool.so.0. (Whole outputs captured first: grep -q would
# close a pipe early, and pipefail would report the writer's SIGPIPE.)
checks=()
for f in in-tree static; do
	b=${bin[$f]}
	syms=$(nm "$b")
	deps=$(ldd "$b")
	grep -qE ' T memp_fget$' <<<"$syms" ||
		fail "$f: memp_fget not defined in $b"
	! grep -q liblfmpool <<<"$deps" ||
		fail "$f: $b depends on liblfmpool: $(grep liblfmpool <<<"$deps")"
	checks+=("$f: memp_fget defined in the binary (nm: T), no liblfmpool among its ldd dependencies")
done
b=${bin[shared]}
syms=$(nm "$b")
grep -qE ' U memp_fget@LFMPOOL_0$' <<<"$syms" ||
	fail "shared: memp_fget@LFMPOOL_0 not undefined in $b"
! grep -qE ' T memp_fget$' <<<"$syms" ||
	fail "shared: memp_fget defined in $b itself"
want=$(readlink -f "$prefix/lib/liblfmpool.so.0")
got=$(run_env shared ldd "$b" | awk '$1 == "liblfmpool.so.0" { print $3 }')
if [ -z "$got" ] || [ "$(readlink -f "$got")" != "$want" ]; then
	fail "shared: ldd resolves liblfmpool.so.0 to '$got', not $want"
fi
checks+=("shared: memp_fget@LFMPOOL_0 undefined in the binary (nm: U), liblfmpool.so.0 => the installed $(basename "$want") (ldd, with LD_LIBRARY_PATH=PREFIX/lib)")

# The runs: the three forms in turn, --runs times, per cell.
IFS=, read -r -a wl_list <<<"$workload"
IFS=, read -r -a th_list <<<"$threads"
all=$work/runs.tsv
: >"$all"
cell=0
for w in "${wl_list[@]}"; do
	for t in "${th_list[@]}"; do
		for ((r = 1; r <= runs; r++)); do
			for f in in-tree static shared; do
				run_env "$f" "${bin[$f]}" --workload "$w" \
					--threads "$t" --runs 1 --seconds "$seconds" \
					--no-bdb --seed $((42 + r)) --csv "$work/run.csv" \
					>"$work/run.md" 2>"$work/run.err" || {
					tail -n 5 "$work/run.err" >&2
					fail "$f: $w, $t threads, run $r"
				}
				awk -F, -v f="$f" -v r="$r" 'NR > 1 {
					printf "%s\t%s\t%s\t%d\t%s\t%.4f\n",
						f, $1, $2, r, $3, $5 / 1e6 }' \
					"$work/run.csv" >>"$all"
			done
		done
		echo "forms: cell $((++cell))/$((${#wl_list[@]} * ${#th_list[@]})) done: $w, $t threads; elapsed $SECONDS s" >&2
	done
done
[ -z "$data" ] || printf 'form\tworkload\tthreads\trun\tsystem\tmops\n' | cat - "$all" >"$data"

echo "## The installed forms: in-tree, static archive, shared library"
echo
echo "$runs rounds of in-tree, static, shared per cell, each one run of" \
	"${seconds} s of lfmpool then the bare probe; medians; \`cc ${cflags[*]}\`" \
	"(docs/benchmarks.md, \"The installed forms\")."
echo
printf -- '- %s\n' "${checks[@]}"
echo
awk -F'\t' "$BENCH_AWK_MEDIAN"'
# The median of the values added under key, -1 if none.
function med(key,    n, i, v) {
	for (i = 1; i <= cnt[key]; i++) v[i] = val[key, i]
	return cnt[key] ? median(v, cnt[key]) : -1
}
function add(key, x) { val[key, ++cnt[key]] = x }
function r(a, b) { return a > 0 && b > 0 ? sprintf("%.2f", a / b) : "-" }
function m(x) { return x > 0 ? sprintf("%.3f", x) : "-" }
function f2(x) { return x > 0 ? sprintf("%.2f", x) : "-" }
# $1 form, $2 workload, $3 threads, $4 run, $5 system, $6 Mops/s
{
	k = $2 SUBSEP $3
	if (!(k in seen)) { seen[k] = 1; order[++ncell] = k }
	one[$1, k, $4, $5] = $6
	if ($5 == "lfmpool") add($1 SUBSEP k, $6)
	else if ($5 == "bare") { add("bare" SUBSEP k, $6); add("bare-" $1 SUBSEP k, $6) }
	# Paired, once both are in: each run of lfmpool against the bare probe
	# of the same process, and the shared run against the static one
	# before it.
	l = one[$1, k, $4, "lfmpool"]; b = one[$1, k, $4, "bare"]
	if (l > 0 && b > 0) add("pb-" $1 SUBSEP k, l / b)
	s = one["static", k, $4, "lfmpool"]
	if ($1 == "shared" && $5 == "lfmpool" && $6 > 0 && s > 0) add("ps" SUBSEP k, $6 / s)
}
END {
	print "| workload | threads | in-tree Mops/s | static Mops/s | shared Mops/s | bare probe Mops/s | in-tree / bare | static / bare | shared / bare | shared / static |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ncell; i++) {
		k = order[i]; split(k, p, SUBSEP)
		a = med("in-tree" SUBSEP k); s = med("static" SUBSEP k)
		h = med("shared" SUBSEP k); b = med("bare" SUBSEP k)
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			p[1], p[2], m(a), m(s), m(h), m(b), r(a, b), r(s, b), r(h, b), r(h, s)
	}
	print ""
	print "The same runs paired: ratios per run, their medians; the bare probe per binary."
	print ""
	print "| workload | threads | in-tree / bare, per run | static / bare, per run | shared / bare, per run | shared / static, per run | bare in in-tree Mops/s | bare in static Mops/s | bare in shared Mops/s |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ncell; i++) {
		k = order[i]; split(k, p, SUBSEP)
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p[1], p[2],
			f2(med("pb-in-tree" SUBSEP k)), f2(med("pb-static" SUBSEP k)),
			f2(med("pb-shared" SUBSEP k)), f2(med("ps" SUBSEP k)),
			m(med("bare-in-tree" SUBSEP k)), m(med("bare-static" SUBSEP k)),
			m(med("bare-shared" SUBSEP k))
	}
}' "$all"
