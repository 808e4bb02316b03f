# Sourced by the benchmark scripts: from the repository's root, installs
# the packages (third_party/install_deps.sh) and builds TARGET... with
# --config=opt (quietly, its log shown on failure); $bin is then
# bazel-bin.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
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
