#!/usr/bin/env bash
# Draw a --data table as an SVG, a panel per workload: Mops/s (the median;
# bars from the slowest to the fastest run) against threads (mpool_bench),
# or processes, a line per system and threads per process (--procs).
#   bash bench/plot.sh DATA.tsv OUT.svg
# Needs gnuplot (Debian: gnuplot-nox) and awk; bench/run.sh calls it.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: bash bench/plot.sh DATA.tsv OUT.svg" >&2
	exit 2
fi
if ! command -v gnuplot >/dev/null; then
	echo "plot.sh: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2
	exit 1
fi

# The awk program reads the table and writes the gnuplot program: each line
# of a panel becomes a datablock ($d1, $d2, ...) of "x median min max".
# shellcheck disable=SC2016 # $d1 and $1 are gnuplot's and awk's
prog='
# Text for an enhanced-mode gnuplot string: no quotes or backslashes, and
# the markup characters escaped (else x86_64 would get a subscript, and the
# "@" of a CPU model name would start a phantom box).
function tx(s) {
	s = clean(s)
	gsub(/[_^@&~{}]/, "\\\\\\\\&", s)
	return s
}
# (gnuplot 5.4 writes an escaped "&" into an SVG as is: not XML.)
function clean(s) { gsub(/["\\]/, "", s); gsub(/&/, "+", s); return s }
function q(s) { return "\"" s "\"" }
BEGIN {
	# Short panel titles, names in the key; else the name in the table.
	sub_["hit-uniform"] = "hits: uniform over 16384 pages, all cached"
	sub_["hit-hot256"] = "hits: uniform over 256 hot pages"
	sub_["hit-zipf"] = "hits: Zipf(0.99) over 16384 pages, all cached"
	sub_["hit-uniform-1m"] = "hits: uniform over 1 M pages (4 GiB), all cached"
	sub_["miss-uniform"] = "2048-page pool, 16384 pages: 87.5% misses"
	sub_["dirty"] = "as miss-uniform, 1 put in 4 dirty"
	sub_["dirty-flush-off"] = "dirty, each get timed; no background writer"
	sub_["dirty-flush-on"] = "dirty, each get timed; lfmpool flushers, BDB trickle thread"
	sub_["mixed-shift-up"] = "8 MiB pool filled with 4 KiB pages, then 8 KiB gets"
	sub_["mixed-shift-down"] = "8 MiB pool filled with 8 KiB pages, then 4 KiB gets"
	name["bdb5.3"] = "Berkeley DB 5.3"
	name["bare"] = "floor: bare probe"
	name["floor"] = "floor: pread"
	name["floor-copy"] = "floor: mapped copy"
	# Line style per system: 1 lfmpool, 2 BDB, 3 (any other) the floors.
	ls["lfmpool"] = 1; ls["bdb5.3"] = 2
}
/^# date: / { date = substr($0, 9); next }
/^# machine: / { machine = substr($0, 12); next }
/^# runs: / { runs = substr($0, 9); next }
/^#/ { next }
kind == "" {
	kind = $2
	if (kind != "threads" && kind != "procs") { print "plot.sh: not a --data table: " FILENAME > "/dev/stderr"; bad = 1; exit 1 }
	next
}
NF < 7 { next }
{
	# --procs: the threads per process ($3) after the processes ($2)
	w = $1; x = $2; p = kind == "procs"; tpp = p ? $3 : 0
	sys = $(3 + p); med = $(4 + p); lo = $(5 + p); hi = $(6 + p)
	if (!(w in wi)) { wi[w] = ++nw; wname[nw] = w; ns[nw] = 0 }
	key = w SUBSEP sys SUBSEP tpp
	if (!(key in si)) {
		si[key] = ++nser; k = wi[w]; ser[k, ++ns[k]] = nser
		sname[nser] = sys; stpp[nser] = tpp
	}
	rows[si[key]] = rows[si[key]] x " " med " " lo " " hi "\n"
	if (!(x in xseen)) { xseen[x] = 1; xs[++nx] = x + 0 }
}
END {
	if (bad) exit 1
	if (nw == 0) { print "plot.sh: no data in " FILENAME > "/dev/stderr"; exit 1 }
	for (i = 1; i <= nx; i++)
		for (j = i + 1; j <= nx; j++)
			if (xs[j] < xs[i]) { t = xs[i]; xs[i] = xs[j]; xs[j] = t }
	cols = nw == 1 ? 1 : 2
	nrows = int((nw + cols - 1) / cols)
	for (s = 1; s <= nser; s++)
		printf "$d%d << EOD\n%sEOD\n", s, rows[s]
	printf "set terminal svg size %d,%d dynamic enhanced font \"Helvetica,13\" background \"white\"\n", \
	    cols == 1 ? 760 : cols * 480, nrows * 330 + 70
	printf "set output %s\n", q(clean(out))
	what = kind == "threads" ? "lfmpool vs Berkeley DB 5.3 and the floor: throughput against threads" : \
	    "lfmpool vs Berkeley DB 5.3, pool shared between processes: throughput against processes"
	printf "set multiplot layout %d,%d title %s\n", nrows, cols, \
	    q("{/:Bold " what "}\\n{/*0.8 " tx(date "; " machine) "}\\n{/*0.8 " \
	    tx(runs) "; points: the median, bars: the slowest to the fastest run}")
	print "set logscale x 2"
	xt = ""
	for (i = 1; i <= nx; i++) xt = xt (i > 1 ? ", " : "") xs[i]
	printf "set xtics (%s)\n", xt
	printf "set xrange [%g:%g]\n", xs[1] / 1.3, xs[nx] * 1.3
	print "set yrange [0:*]"
	print "set grid ytics lc rgb \"#dddddd\""
	print "set border 3"
	print "set tics nomirror"
	printf "set xlabel %s\n", q(kind == "threads" ? "threads" : "processes")
	print "set ylabel \"Mops/s\""
	# Room above the highest bar for the key, so no line crosses it.
	maxkey = 0
	for (k = 1; k <= nw; k++) if (ns[k] > maxkey) maxkey = ns[k]
	printf "set offsets 0, 0, graph %.2f, 0\n", 0.1 + 0.12 * maxkey
	print "set key top right samplen 2 font \",11\""
	print "set bars small"
	print "set style line 1 lc rgb \"#1b6fb5\" lw 2 pt 7 ps 0.8"
	print "set style line 2 lc rgb \"#c83a2a\" lw 2 pt 5 ps 0.8"
	print "set style line 3 lc rgb \"#707070\" lw 2 dt 2 pt 9 ps 0.9"
	print "set style line 11 lc rgb \"#1b6fb5\" lw 2 dt 2 pt 6 ps 0.8"
	print "set style line 12 lc rgb \"#c83a2a\" lw 2 dt 2 pt 4 ps 0.8"
	for (k = 1; k <= nw; k++) {
		w = wname[k]
		printf "set title %s\n", q("{/:Bold " tx(w) "}" (w in sub_ ? "\\n{/*0.8 " tx(sub_[w]) "}" : ""))
		line = "plot"
		for (j = 1; j <= ns[k]; j++) {
			s = ser[k, j]
			t = name[sname[s]] != "" ? name[sname[s]] : sname[s]
			style = sname[s] in ls ? ls[sname[s]] : 3
			if (kind == "procs") {
				t = t ", " stpp[s] " thread" (stpp[s] > 1 ? "s" : "") "/process"
				if (stpp[s] > 1 && style < 3) style += 10
			}
			line = line (j > 1 ? "," : "") " $d" s " using 1:2:3:4 with yerrorlines ls " style " title " q(tx(t))
		}
		print line
	}
	print "unset multiplot"
}'

awk -F'\t' -v out="$2" "$prog" "$1" | gnuplot
