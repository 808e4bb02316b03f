# Sourced by the benchmark scripts, from the repository's root.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# bench_build TARGET...: installs the packages (third_party/install_deps.sh)
# and builds with --config=opt (quietly, its log shown on failure); $bin is
# then bazel-bin.
bench_build() {
	local log
	log=$(mktemp)
	bash third_party/install_deps.sh
	if ! bazel build --config=opt "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "bazel build --config=opt $* failed" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
	bin="$(bazel info --config=opt bazel-bin 2>/dev/null)"
}
# bench_need CMD PACKAGE: installs the Debian package if CMD is missing.
bench_need() {
	local sudo=""
	command -v "$1" >/dev/null && return
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
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
