#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests and benchmark need.
# Idempotent: does nothing (not even apt-get update) when all are present.
set -euo pipefail

pkgs=(
	bazel-bootstrap  # Bazel 4.2.3, used offline (see WORKSPACE)
	gcc g++          # gcc 12, with its ThreadSanitizer/ASan/UBSan runtimes
	libtsan2 libasan8 libubsan1
	libck-dev        # concurrencykit
	libjemalloc-dev  # jemalloc: the pool's private arena
	libgtest-dev     # GoogleTest
	libdb5.3-dev     # Berkeley DB 5.3: the benchmark's peer
	liburing-dev     # io_uring: the asynchronous I/O queue (src/os/aio)
	python3          # tests/run.sh reads the test.xml files with it
	pkg-config       # install.sh's lfmpool.pc, checked by the install test
	mandoc           # lints the manual pages
	gnuplot-nox      # bench/run.sh draws its SVG figures
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
