#!/usr/bin/env bash
# The whole test suite: plain build, then ThreadSanitizer, then
# AddressSanitizer+UndefinedBehaviorSanitizer, then the debug checks
# (--config=debug: preconditions and lock ranks asserted), then the I/O
# suites on the threads engine (LFMPOOL_IO_ENGINE). Installs its own
# packages.
# Then the install test (tests/install/run.sh: install.sh into a temporary
# prefix). Ends with one line "tests: N passed, N failed" counting GoogleTest
# cases over the four configurations and the install test's checks.
set -uo pipefail
cd "$(dirname "$0")/.."
bash third_party/install_deps.sh || exit 1

passed=0
failed=0
status=0

count() { # count <testlogs dir>: sums the gtest results of the last run
	local p f
	read -r p f < <(LOGS=$1 python3 - <<'PY'
import glob, os, xml.etree.ElementTree as ET
p = f = 0
for x in glob.glob(os.environ["LOGS"] + "/**/test.xml", recursive=True):
    try:
        r = ET.parse(x).getroot()
    except ET.ParseError:
        f += 1
        continue
    for s in r.iter("testsuite"):
        t = int(s.get("tests", 0)); bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
        dis = int(s.get("disabled", 0)) + int(s.get("skipped", 0))
        p += t - bad - dis; f += bad
print(p, f)
PY
	)
	passed=$((passed + p))
	failed=$((failed + f))
}

run() { # run <label> <bazel args...>
	local label=$1 flags=() a logs
	shift
	for a in "$@"; do
		[[ $a == --* ]] && flags+=("$a")
	done
	# This configuration's test logs, asked of Bazel: the bazel-testlogs
	# link names whatever ran last (install.sh's optimised build, say), so
	# emptying it could leave logs of targets renamed or removed since an
	# earlier run here, which would then be counted again.
	logs=$(bazel info "${flags[@]}" bazel-testlogs 2>/dev/null) || logs=
	[ -n "$logs" ] || logs=bazel-testlogs
	echo "=== $label: bazel test $*"
	rm -rf "$logs/tests" "$logs/bench"
	if ! bazel test --test_summary=short "$@"; then
		status=1
		echo "=== $label: FAILED"
	fi
	count "$logs"
}

run plain //...
run tsan --config=tsan //tests/...
run asan --config=asan //tests/...
run debug --config=debug //tests/...
# The I/O queue's fallback engine (src/os/aio) behind the write-back,
# prefetch and shared-pool suites, the fault seam's writes included.
run io-threads --test_env=LFMPOOL_IO_ENGINE=threads //tests/writeback/... \
	//tests/prefetch/... //tests/direct/... //tests/shared/...

echo "=== install: bash tests/install/run.sh"
install_log=$(mktemp)
bash tests/install/run.sh | tee "$install_log"
install_rc=${PIPESTATUS[0]}
# No summary line (the script died): one failure.
read -r inst_p inst_f < <(sed -n \
	's/^install: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$install_log")
rm -f "$install_log"
passed=$((passed + ${inst_p:-0}))
failed=$((failed + ${inst_f:-1}))
if [ "$install_rc" -ne 0 ]; then
	status=1
	echo "=== install: FAILED"
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
