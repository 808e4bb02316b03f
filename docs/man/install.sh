#!/bin/sh
# install.sh MANDIR - installs lfmpool's manual pages under MANDIR.
#
# Each page goes to MANDIR/man<section>/. Every name a page lists with .Nm
# in its NAME section, other than the page's own, gets a one-line stub
# MANDIR/man<section>/<name>.<section> reading ".so man<section>/<page>",
# so that "man memp_fget" finds db_mpool(3). Running it again rewrites the
# same files.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: install.sh MANDIR" >&2
	exit 2
fi
mandir=$1
src=$(cd "$(dirname "$0")" && pwd)

# The names in a page's NAME section: the first argument of each .Nm line
# between ".Sh NAME" and the next .Sh.
names() {
	awk '/^\.Sh[ \t]/ { in_name = ($2 == "NAME"); next }
	     in_name && /^\.Nm[ \t]/ { print $2 }' "$1"
}

found=0
for page in "$src"/man[1-9]/*.[1-9]; do
	[ -f "$page" ] || continue
	found=1
	file=$(basename "$page")
	section=${file##*.}
	own=${file%.*}
	dir=$mandir/man$section
	mkdir -p "$dir"
	install -m 0644 "$page" "$dir/$file"
	for name in $(names "$page"); do
		[ "$name" = "$own" ] && continue
		# Never replace a real page of that name with a stub.
		[ -f "$src/man$section/$name.$section" ] && continue
		stub=$dir/$name.$section
		printf '.so man%s/%s\n' "$section" "$file" >"$stub.tmp"
		chmod 0644 "$stub.tmp"
		mv -f "$stub.tmp" "$stub"
	done
done
if [ "$found" -eq 0 ]; then
	echo "install.sh: no pages under $src" >&2
	exit 1
fi
