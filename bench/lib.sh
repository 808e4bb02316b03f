# Sourced by the benchmark scripts, from the repository's root.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# bench_quiet CMD...: runs CMD, its output shown (the last 30 lines) only
# if it fails.
bench_quiet() {
	local log
	log=$("$@" 2>&1) && return
	tail -n 30 <<<"$log" >&2
	return 1
}
# bench_build TARGET...: installs the packages (third_party/install_deps.sh)
# and builds with --config=opt (quietly); $bin is then bazel-bin.
bench_build() {
	bash third_party/install_deps.sh
	bench_quiet bazel build --config=opt "$@" || {
		echo "bazel build --config=opt $* failed" >&2
		exit 1
	}
	bin="$(bazel info --config=opt bazel-bin 2>/dev/null)"
}
# bench_need CMD PACKAGE: installs the Debian package if CMD is missing.
bench_need() {
	local sudo=""
	command -v "$1" >/dev/null && return
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
# bench_opts USAGE NAME|NAME... ARG...: each leading "--NAME VALUE" of ARG
# sets the variable NAME; anything else is refused (bench_usage).
bench_opts() {
	bench_usage_line=$1
	local names=$2
	shift 2
	while [ $# -ge 2 ] && [[ $1 =~ ^--($names)$ ]]; do
		declare -g "${1#--}=$2"
		shift 2
	done
	[ $# -eq 0 ] || bench_usage
}
bench_usage() {
	echo "usage: $bench_usage_line" >&2
	exit 2
}
# An awk function: the median of a[1..n], sorting a in place.
BENCH_AWK_MEDIAN='
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'
