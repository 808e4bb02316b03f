#!/usr/bin/env bash
# Builds lfmpool optimised and installs it under a prefix (default
# /usr/local):
#   include/db_mpool.h, include/mpool.h, include/lfmpool.h
#   lib/liblfmpool.a, lib/liblfmpool.so.MAJOR.MINOR.PATCH (soname
#     liblfmpool.so.MAJOR) with the links liblfmpool.so.MAJOR and liblfmpool.so
#   lib/pkgconfig/lfmpool.pc
#   share/man/man1, share/man/man3 (docs/man/install.sh)
#   bin/lfmpool-stat (//src/tools:lfmpool-stat)
# Installs its own apt packages first (third_party/install_deps.sh, which
# does nothing when they are present). Idempotent; needs root only when the
# prefix is not writable.
#
# Usage: bash install.sh [--prefix DIR]
set -euo pipefail

usage() {
	echo "usage: bash install.sh [--prefix DIR]" >&2
	exit 2
}

prefix=/usr/local
while [ $# -gt 0 ]; do
	case $1 in
	--prefix)
		[ $# -ge 2 ] || usage
		prefix=$2
		shift 2
		;;
	--prefix=*)
		prefix=${1#--prefix=}
		shift
		;;
	-h | --help) usage ;;
	*)
		echo "install.sh: unknown argument: $1" >&2
		usage
		;;
	esac
done
[ -n "$prefix" ] || usage

# The pkg-config file names absolute directories; a relative prefix is
# relative to the caller's directory.
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

cd "$(dirname "$0")"
bash third_party/install_deps.sh

version_part() { # MAJOR | MINOR | PATCH
	local v
	v=$(sed -n "s/^#define LFMPOOL_VERSION_$1[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*$/\1/p" \
		include/db_mpool.h)
	if [ -z "$v" ]; then
		echo "install.sh: no LFMPOOL_VERSION_$1 in include/db_mpool.h" >&2
		exit 1
	fi
	echo "$v"
}
major=$(version_part MAJOR)
minor=$(version_part MINOR)
patch=$(version_part PATCH)
version=$major.$minor.$patch
soname=liblfmpool.so.$major
realname=liblfmpool.so.$version

bazel build --config=opt //:liblfmpool_a //:liblfmpool.so //src/tools:lfmpool-stat
bin=$(bazel info --config=opt bazel-bin)

got=$(readelf -d "$bin/liblfmpool.so" |
	sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
if [ "$got" != "$soname" ]; then
	echo "install.sh: the library's soname is '$got', not $soname" \
		"(LFMPOOL_VERSION_MAJOR): update the -soname in BUILD" >&2
	exit 1
fi

libdir=$prefix/lib
install -d "$prefix/include" "$libdir" "$libdir/pkgconfig"
install -m 0644 include/db_mpool.h include/mpool.h include/lfmpool.h \
	"$prefix/include/"
# liblfmpool.a holds every object of the library's four layers (BUILD).
install -m 0644 "$bin/liblfmpool.a" "$libdir/liblfmpool.a"
install -m 0755 "$bin/liblfmpool.so" "$libdir/$realname"
ln -sfn "$realname" "$libdir/$soname"
ln -sfn "$realname" "$libdir/liblfmpool.so"

# Libs.private: what the archive needs, as the README's link line for
# liblfmpool.a (ck is inline today; -lck costs nothing when nothing is used).
pc=$(mktemp)
trap 'rm -f "$pc"' EXIT
cat >"$pc" <<EOF
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: lfmpool
Description: Lock-free page buffer pool: its own API lfmpool(3), Berkeley DB 2.x db_mpool(3) and 4.4BSD mpool(3)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -llfmpool
Libs.private: -lck -ljemalloc -luring -lpthread
EOF
install -m 0644 "$pc" "$libdir/pkgconfig/lfmpool.pc"

bash docs/man/install.sh "$prefix/share/man"
install -d "$prefix/bin"
install -m 0755 "$bin/src/tools/lfmpool-stat" "$prefix/bin/lfmpool-stat"

# A directory the dynamic linker searches by configuration (/usr/local/lib
# on Debian) needs its cache refreshed for the new soname.
if [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null &&
	grep -qsxF "$libdir" /etc/ld.so.conf /etc/ld.so.conf.d/*.conf; then
	ldconfig
fi

echo "installed lfmpool $version in $prefix"
