#!/usr/bin/env bash
# The install test: runs install.sh twice into a temporary prefix, checks
# what it installed (files, soname, links, exported symbols against the
# public headers, pkg-config), and builds tests/install/app.c against it,
# with the shared library and with the archive, and runs it.
# Ends with "install: N passed, N failed"; exits non-zero on any failure.
# shellcheck disable=SC2317 # functions run through check()
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)

passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "ok: $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
}
check() { # check <description> <command...>: passes when the command does
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

not() { ! "$@"; }

finish() {
	echo "install: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
lib=$prefix/lib

version_part() {
	sed -n "s/^#define LFMPOOL_VERSION_$1[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*$/\1/p" \
		include/db_mpool.h
}
major=$(version_part MAJOR)
version=$major.$(version_part MINOR).$(version_part PATCH)
soname=liblfmpool.so.$major
realname=liblfmpool.so.$version
node=LFMPOOL_$major

# Everything below prefix: path, type, link target.
listing() {
	(cd "$prefix" && find . -printf '%p %y %l\n' | LC_ALL=C sort)
}

install_into_prefix() { # the log is shown only when install.sh fails
	if bash install.sh --prefix "$prefix" >"$work/install.log" 2>&1; then
		return 0
	fi
	tail -n 40 "$work/install.log"
	return 1
}

if install_into_prefix; then
	pass "install.sh --prefix (first run)"
else
	fail "install.sh --prefix (first run)"
	finish
fi
listing >"$work/first.txt"
if install_into_prefix; then
	pass "install.sh --prefix (second run)"
else
	fail "install.sh --prefix (second run)"
fi
listing >"$work/second.txt"
check "the second run leaves the same files" \
	cmp -s "$work/first.txt" "$work/second.txt"

# Files and links.
for h in db_mpool.h mpool.h lfmpool.h; do
	check "include/$h installed, as in the tree" \
		cmp -s "include/$h" "$prefix/include/$h"
done
check "lib/$realname is a file" test -f "$lib/$realname" -a ! -L "$lib/$realname"
check "lib/$soname -> $realname" \
	test "$(readlink "$lib/$soname")" = "$realname"
check "lib/liblfmpool.so -> $realname" \
	test "$(readlink "$lib/liblfmpool.so")" = "$realname"

# The archive holds an object for every source file of the four layers,
# once, and not the position-independent copy (Bazel names those .pic.o):
# a program linking the archive would get the first copy of each, and the
# PIC one's thread-local accesses cost the hit path a call sequence.
archive_complete() {
	local members c ok=0
	members=$(ar t "$lib/liblfmpool.a") || return 1
	for c in src/os/*.c src/region/*.c src/engine/*.c src/api/*.c; do
		c=$(basename "$c" .c)
		if ! grep -qxF "$c.o" <<<"$members"; then
			echo "  liblfmpool.a has no $c.o"
			ok=1
		fi
	done
	return "$ok"
}
archive_once() { # archive_once <archive>: no object twice, no .pic.o
	local members twice pic
	members=$(ar t "$1") || return 1
	twice=$(sort <<<"${members//.pic.o/.o}" | uniq -d | tr '\n' ' ')
	pic=$(grep -E '\.pic\.o$' <<<"$members" | tr '\n' ' ')
	[ -z "$twice" ] || echo "  objects twice: $twice"
	[ -z "$pic" ] || echo "  position-independent members: $pic"
	[ -z "$twice" ] && [ -z "$pic" ]
}
check "lib/liblfmpool.a has every object" archive_complete
check "lib/liblfmpool.a holds each object once, none of them PIC" \
	archive_once "$lib/liblfmpool.a"

# The shared library's dynamic section and symbols.
dyn=$(readelf -d "$lib/$realname")
check "soname is $soname" grep -qF "(SONAME)             Library soname: [$soname]" <<<"$dyn"
check "it needs libjemalloc itself" grep -qE '\(NEEDED\).*\[libjemalloc\.so' <<<"$dyn"
check "no text relocations" not grep -q TEXTREL <<<"$dyn"

# Loadable after start-up too: its own thread-local variables are
# initial-exec and fit glibc's reserve. (libjemalloc.so.2 itself cannot be
# loaded after start-up, "cannot allocate memory in static TLS block", so
# it is preloaded here as a program linked with it would have it.)
dlopened() {
	local jemalloc
	jemalloc=$(ldd "$lib/$realname" | awk '/libjemalloc/ { print $3 }')
	LD_PRELOAD=$jemalloc python3 -c 'import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.lfmpool_version.restype = ctypes.c_char_p
print(lib.lfmpool_version().decode())' "$lib/$soname"
}
check "dlopen of $soname gives lfmpool_version() \"lfmpool $version\"" \
	test "$(dlopened)" = "lfmpool $version"

defined=$(nm -D --defined-only "$lib/$realname")
# The variables the public headers declare extern (lfmpool.h's inline
# functions read the calling thread's lfmpool__tls_fast): exported as data.
declared_data() { # declared_data <header>...
	python3 - "$@" <<'PY'
import re, sys
for path in sys.argv[1:]:
    s = open(path).read().replace("\\\n", " ")
    s = re.sub(r"/\*.*?\*/", " ", s, flags=re.S)
    s = re.sub(r"^[ \t]*#.*$", " ", s, flags=re.M)
    s = re.sub(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)", " ", s)
    for d in re.split(r"[;{}]", s):
        if re.search(r"\bextern\b", d) and '"C"' not in d and "(" not in d:
            print(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", d)[-1])
PY
}
data=$(declared_data include/db_mpool.h include/mpool.h include/lfmpool.h)
only_public() {
	local type name bad=0
	while read -r _ type name; do
		if [ "$type $name" = "A $node" ]; then
			continue
		fi
		if [[ $type == [BD] ]] && grep -qxF "${name%@@"$node"}" <<<"$data" &&
			[[ $name == *@@$node ]]; then
			continue
		fi
		if ! [[ $type == T && $name =~ ^(memp|mpool|lfmpool)_[A-Za-z0-9_]*@@$node$ ]]; then
			echo "  exported: $type $name"
			bad=1
		fi
	done <<<"$defined"
	return "$bad"
}
check "nm -D lists only memp_/mpool_/lfmpool_ functions and the headers' variables under $node" only_public
data_exported() {
	local v missing=""
	for v in $data; do
		grep -qE " [BD] $v@@$node$" <<<"$defined" || missing="$missing $v"
	done
	[ -z "$missing" ] || echo "  not exported:$missing"
	[ -n "$data" ] && [ -z "$missing" ]
}
check "the headers' variables are exported (${data//$'\n'/ })" data_exported
check "nm -D lists the version node $node" grep -qE "^0+ A $node$" <<<"$defined"
check "nm -D lists no lfm__ symbol" not grep -q lfm__ <<<"$defined"

# The functions the public headers declare (static inline ones, lfmpool.h's
# lfmpool_get and lfmpool_put among them, are not declared extern and are
# in the program), from the compiler's own listing of the declarations.
declared() { # declared <header>
	gcc -std=c11 -fsyntax-only -aux-info "$work/aux.txt" -x c "$root/$1" &&
		grep -F "/* $root/$1:" "$work/aux.txt" |
		sed -n 's|^/\* .*:N[CF] \*/ extern [^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\) (.*|\1|p'
}
for h in include/db_mpool.h include/mpool.h include/lfmpool.h; do
	funcs=$(declared "$h")
	check "$h declares functions" test -n "$funcs"
	missing=""
	for f in $funcs; do
		grep -qE " T $f@@$node$" <<<"$defined" || missing="$missing $f"
	done
	[ -z "$missing" ] || echo "  not exported:$missing"
	check "every function of $h exported ($(wc -w <<<"$funcs"))" test -z "$missing"
done

# pkg-config, and a program built against the prefix.
export PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config --modversion lfmpool is $version" \
	test "$(pkg-config --modversion lfmpool 2>/dev/null)" = "$version"

build_app() { # build_app <output> <link flags...>
	local out=$1
	shift
	cc -std=c11 -Wall -Wextra -Werror -o "$out" tests/install/app.c "$@"
}
needs_lfmpool() {
	readelf -d "$1" | grep -qE "\(NEEDED\).*\[$soname\]"
}

# shellcheck disable=SC2046 # pkg-config output is meant to be split
if build_app "$work/app" $(pkg-config --cflags --libs lfmpool); then
	pass "app.c builds with pkg-config --cflags --libs lfmpool"
	check "the shared build needs $soname" needs_lfmpool "$work/app"
	check "the shared build runs" env LD_LIBRARY_PATH="$lib" "$work/app"
else
	fail "app.c builds with pkg-config --cflags --libs lfmpool"
fi

# The same flags with --static, with the archive chosen by its name (the
# linker prefers the .so beside it for -llfmpool).
static_libs=$(pkg-config --static --libs lfmpool)
static_libs=${static_libs/-llfmpool/-l:liblfmpool.a}
# shellcheck disable=SC2046,SC2086
if build_app "$work/app_static" $(pkg-config --static --cflags lfmpool) $static_libs; then
	pass "app.c builds with pkg-config --static and liblfmpool.a"
	check "the static build does not need $soname" \
		not needs_lfmpool "$work/app_static"
	check "the static build runs" "$work/app_static"
else
	fail "app.c builds with pkg-config --static and liblfmpool.a"
fi

# The manual pages as written, installed: the commands of their LIBRARY
# sections and the programs of their EXAMPLES (literal blocks that begin
# with #include) must work against the prefix as a user runs them. Every
# example compiles with -Wall -Wextra -Werror, and
# -Werror=incompatible-pointer-types (an error by default from GCC 14 on);
# mpool(3)'s follows its SYNOPSIS (<db.h>, then <mpool.h>), with the
# system's Berkeley DB 5.3 <db.h>. Each LIBRARY command then builds the
# page's program that has a main(), which must run and exit 0.
literal_blocks() { # literal_blocks <page> <section> <dir>: files 1, 2, ...
	awk -v sec="$2" -v out="$3" '
		/^\.Sh / { in_sec = ($2 == sec); next }
		in_sec && /^\.Bd -literal/ { n++; blk = 1; next }
		in_sec && blk && /^\.Ed/ { blk = 0; next }
		in_sec && blk {
			gsub(/\\e/, "\\"); gsub(/\\&/, ""); gsub(/\\-/, "-")
			print > (out "/" n)
		}' "$1"
}
page_works() { # page_works <man3 page>
	local page=$prefix/share/man/man3/$1 d f cmd n=0 cmds=0 ok=0 prog=
	d=$(mktemp -d "$work/page.XXXXXX")
	mkdir "$d/ex" "$d/lib"
	literal_blocks "$page" EXAMPLES "$d/ex"
	literal_blocks "$page" LIBRARY "$d/lib"
	for f in "$d"/ex/*; do
		[ -e "$f" ] || continue
		head -n 1 "$f" | grep -q '^#include' || continue
		n=$((n + 1))
		cp "$f" "$f.c"
		# shellcheck disable=SC2046 # pkg-config output is meant to be split
		if ! cc -Wall -Wextra -Werror -Werror=incompatible-pointer-types \
			$(pkg-config --cflags lfmpool) -c "$f.c" -o "$f.o"; then
			echo "  $1: EXAMPLES program $n does not compile"
			ok=1
		fi
		grep -q '^main(void)' "$f.c" && prog=$f.c
	done
	[ "$n" -gt 0 ] || { echo "  $1: no example program" && ok=1; }
	if [ -z "$prog" ]; then
		echo "  $1: no example with main()"
		return 1
	fi
	for f in "$d"/lib/*; do
		[ -e "$f" ] || continue
		cmds=$((cmds + 1))
		cmd=$(cat "$f")
		mkdir "$d/run$cmds"
		cp "$prog" "$d/run$cmds/app.c"
		if ! (cd "$d/run$cmds" && bash -c "$cmd" && LD_LIBRARY_PATH="$lib" ./a.out); then
			echo "  $1: LIBRARY command $cmds failed: $cmd"
			ok=1
		fi
	done
	[ "$cmds" -ge 2 ] || { echo "  $1: expected two LIBRARY commands" && ok=1; }
	return "$ok"
}
check "db_mpool(3): its LIBRARY commands and EXAMPLES work as written" \
	page_works db_mpool.3
check "mpool(3): its LIBRARY commands and EXAMPLES work as written" \
	page_works mpool.3
check "lfmpool(3): its LIBRARY commands and EXAMPLES work as written" \
	page_works lfmpool.3

for m in man3/db_mpool.3 man3/mpool.3 man3/lfmpool.3 man3/memp_fget.3 \
	man3/lfmpool_get.3 man1/lfmpool-stat.1; do
	check "share/man/$m installed" test -e "$prefix/share/man/$m"
done
check "bin/lfmpool-stat installed" test -x "$prefix/bin/lfmpool-stat"
exits_1() { "$@" 2>/dev/null; [ $? -eq 1 ]; }
check "bin/lfmpool-stat runs (no such directory: exit 1)" \
	exits_1 "$prefix/bin/lfmpool-stat" -h "$prefix/no-such-dir"

finish
