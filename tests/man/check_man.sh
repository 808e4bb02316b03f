#!/usr/bin/env bash
# check_man.sh INSTALL_SH HEADER... PAGE... - checks lfmpool's manual pages.
#
#  1. mandoc -T lint -W all finds nothing in any page. The one kind of
#     finding let through is "referenced manual not found" for a page that
#     is not ours (open(2), ...): whether those are installed depends on
#     the machine. A reference to one of our own pages must name a page we
#     ship.
#  2. Every function the public headers declare (lfmpool.h's inline ones
#     included, internal static helpers aside) is an .Nm of some section-3
#     page.
#  3. Every DB_*, MPOOL_* and LFMPOOL_* macro the public headers define
#     is named in some page (include guards and LFMPOOL__ internals
#     aside).
#  4. install.sh into an empty directory installs every page, a stub per
#     extra .Nm name, and "man3/memp_fget.3", "man3/mpool_open.3" and
#     "man3/lfmpool_get.3" render (mandoc resolves .so relative to the
#     current directory, so it runs in MANDIR); a second run leaves the
#     same tree.
set -uo pipefail

MANDOC=/usr/bin/mandoc
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

install_sh=
headers=()
pages=()
for a in "$@"; do
	case $a in
	*.sh) install_sh=$a ;;
	*.h) headers+=("$a") ;;
	*.[1-9]) pages+=("$a") ;;
	*) bad "unexpected argument $a" ;;
	esac
done
[ -x "$MANDOC" ] || {
	echo "FAIL: $MANDOC missing (third_party/install_deps.sh installs it)"
	exit 1
}
[ -n "$install_sh" ] || bad "no install.sh given"
[ "${#headers[@]}" -ge 3 ] || bad "expected the three public headers"
[ "${#pages[@]}" -ge 3 ] || bad "expected at least three pages"
[ "$fail" -eq 0 ] || exit 1

# The names a page lists with .Nm in its NAME section.
nm_names() {
	awk '/^\.Sh[ \t]/ { in_name = ($2 == "NAME"); next }
	     in_name && /^\.Nm[ \t]/ { print $2 }' "$1"
}

# Every name our pages answer to once installed, as "name section": each
# page's own and its .Nm names.
own_names=$(for p in "${pages[@]}"; do
	f=$(basename "$p")
	echo "${f%.*} ${f##*.}"
	for n in $(nm_names "$p"); do echo "$n ${f##*.}"; done
done | sort -u)

# 1. Lint.
for p in "${pages[@]}"; do
	out=$("$MANDOC" -T lint -W all "$p" 2>&1)
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		case $line in
		*"outdated mandoc.db lacks"*)
			continue # the machine's page index, not our page
			;;
		*"STYLE: referenced manual not found: Xr "*)
			ref=${line##*: Xr }
			ref=${ref% (* times)} # mandoc folds repeats
			if grep -qxF "$ref" <<<"$own_names"; then
				continue # ours: installed by install.sh
			fi
			case $ref in
			db_mpool\ * | memp_* | mpool* | lfmpool*)
				bad "$(basename "$p") refers to $ref, which no page of ours provides"
				;;
			esac
			continue # another package's page, perhaps not installed here
			;;
		esac
		bad "mandoc: $line"
	done <<<"$out"
done

# 2. Functions. Comments, preprocessor lines and the bodies of inline
# functions removed (a "{" after ")" opens a body, to its matching "}"),
# and __attribute__((...)) too, the header is cut into declarations at ;
# { and }; a declaration whose first "(" follows an identifier and is not
# "(*" (a pointer to a function) declares that function, unless it is a
# typedef, or static and named with a double underscore (a header's
# internal helper: lfmpool.h's inline lfmpool_get and lfmpool_put are
# part of the API).
declarations() {
	cat "$@" |
		awk '{ # comments out, also those spanning lines
			out = ""; line = $0
			while (line != "") {
				if (skip) {
					i = index(line, "*/")
					if (i == 0) line = ""
					else { line = substr(line, i + 2); skip = 0 }
				} else {
					i = index(line, "/*")
					if (i == 0) { out = out line; line = "" }
					else {
						out = out substr(line, 1, i - 1) " "
						line = substr(line, i + 2); skip = 1
					}
				}
			}
			print out }' |
		awk '/^[ \t]*#/ { cont = /\\$/; next } # preprocessor lines
		     cont { cont = /\\$/; next }
		     { print }' |
		awk '{ text = text $0 " " }
		     END { # inline bodies out, each left as one ";"
			n = length(text); out = ""; last = ""; depth = 0
			for (i = 1; i <= n; i++) {
				c = substr(text, i, 1)
				if (depth > 0) {
					if (c == "{") depth++
					else if (c == "}" && --depth == 0) out = out ";"
					continue
				}
				if (c == "{" && last == ")") { depth = 1; continue }
				out = out c
				if (c != " " && c != "\t") last = c
			}
			print out }' |
		sed -E 's/__attribute__[[:space:]]*\(\(([^()]|\([^()]*\))*\)\)//g' |
		tr ';{}' '\n' | sed 's/^/ /' |
		grep -v -E '^[[:space:]]*(typedef|extern[[:space:]]+"C")'
}
function_names() {
	sed -n -E 's/^[^(]*[^A-Za-z0-9_(]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\([[:space:]]*[^*[:space:]].*/\1/p' |
		grep -v -x -E 'return|if|while|for|switch|sizeof'
}
declared_functions() {
	local d
	d=$(declarations "$@")
	{
		grep -v -E '^[[:space:]]*static[[:space:]]' <<<"$d" | function_names
		grep -E '^[[:space:]]*static[[:space:]]' <<<"$d" | function_names |
			grep -v -F '__'
	} | sort -u
}
funcs=$(declared_functions "${headers[@]}")
nfuncs=$(wc -w <<<"$funcs")
[ "$nfuncs" -ge 20 ] || bad "found only $nfuncs functions in the headers: $funcs"
sec3_names=$(for p in "${pages[@]}"; do
	case $p in *.3) nm_names "$p" ;; esac
done | sort -u)
for fn in $funcs; do
	grep -qxF "$fn" <<<"$sec3_names" || bad "$fn has no .Nm in a section-3 page"
done

# 3. Flags and constants: object-like macros named DB_*, MPOOL_* or
# LFMPOOL_* (the public names; LFM* others are the library's own: export
# markers), but for include guards (*_H, *_DEFINED, *_DBT) and the
# LFMPOOL__ internals of lfmpool.h's inline functions.
macros=$(grep -h -E '^[[:space:]]*#[[:space:]]*define[[:space:]]+(DB|MPOOL|LFMPOOL)_[A-Z0-9_]*([[:space:]]|$)' \
	"${headers[@]}" | awk '{ print $2 }' |
	grep -v -E '^LFMPOOL__|^LFMPOOL_.*_(H|DEFINED|DBT)$|^LFMPOOL_H$' | sort -u)
nmacros=$(wc -w <<<"$macros")
[ "$nmacros" -ge 30 ] || bad "found only $nmacros DB_/MPOOL_/LFMPOOL_ macros: $macros"
for m in $macros; do
	grep -qw -- "$m" "${pages[@]}" || bad "$m is not mentioned in any page"
done

# 4. Install, render through a stub, reinstall.
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mandir=$tmp/man
if ! sh "$install_sh" "$mandir"; then
	bad "install.sh failed"
else
	for p in "${pages[@]}"; do
		f=$(basename "$p")
		s=${f##*.}
		cmp -s "$p" "$mandir/man$s/$f" || bad "$f not installed in man$s"
		[ "$(stat -c %a "$mandir/man$s/$f")" = 644 ] || bad "$f not mode 0644"
		for n in $(nm_names "$p"); do
			[ "$n" = "${f%.*}" ] && continue
			stub=$mandir/man$s/$n.$s
			[ "$(cat "$stub" 2>/dev/null)" = ".so man$s/$f" ] ||
				bad "stub $n.$s missing or wrong"
		done
	done
	render=$(cd "$mandir" && "$MANDOC" -T ascii man3/memp_fget.3 2>&1)
	[ -n "$render" ] || bad "man3/memp_fget.3 renders empty"
	grep -q 'memp_fget' <<<"$render" || bad "man3/memp_fget.3 does not render db_mpool(3)"
	grep -q 'DB_MPOOL_CREATE' <<<"$render" || bad "man3/memp_fget.3 renders a short page"
	render=$(cd "$mandir" && "$MANDOC" -T ascii man3/mpool_open.3 2>&1)
	grep -q 'MPOOL_PAGE_NEXT' <<<"$render" || bad "man3/mpool_open.3 does not render mpool(3)"
	render=$(cd "$mandir" && "$MANDOC" -T ascii man3/lfmpool_get.3 2>&1)
	grep -q 'LFMPOOL_GET_CREATE' <<<"$render" || bad "man3/lfmpool_get.3 does not render lfmpool(3)"
	before=$(cd "$mandir" && find . -type f -exec md5sum {} + | sort)
	sh "$install_sh" "$mandir" || bad "second install.sh run failed"
	after=$(cd "$mandir" && find . -type f -exec md5sum {} + | sort)
	[ "$before" = "$after" ] || bad "a second install.sh run changed the tree"
fi

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "PASS: ${#pages[@]} pages lint clean; $nfuncs functions and $nmacros macros documented; install renders"
