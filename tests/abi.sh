#!/bin/sh
# The ABI, three ways: the functions include/sevslot.h declares, the symbols
# src/libsevslot.sym names, and what the built library exports (nm -D) must
# be the same set; the map names each symbol (no glob).
#   tests/abi.sh BUILD
set -u
b=${1:?usage: abi.sh BUILD}
cc=${CC:-cc}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# Declarations, comments stripped by the preprocessor.
echo '#include <sevslot.h>' | $cc -E -P -Iinclude -x c - |
	grep -oE '\bsevslot_[a-z0-9_]+ *\(' | sed 's/ *($//' | sort -u > "$tmp/header"
sed -n '/global:/,/local:/p' src/libsevslot.sym | grep -oE '^[[:space:]]*[A-Za-z0-9_*]+;' |
	tr -d ' \t;' | sort -u > "$tmp/map"
nm -D --defined-only "$b/libsevslot.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/nm"

if grep -q '\*' "$tmp/map"; then
	echo "FAIL src/libsevslot.sym exports by glob: name each symbol"; fail=1
fi
for pair in header:map header:nm; do
	a=${pair%%:*} z=${pair#*:}
	if ! diff -u "$tmp/$a" "$tmp/$z" > "$tmp/diff"; then
		echo "FAIL the $a and the $z disagree:"; cat "$tmp/diff"; fail=1
	fi
done
n=$(wc -l < "$tmp/header")
[ "$n" -gt 0 ] || { echo "FAIL no function found in include/sevslot.h"; fail=1; }
soname=$(readelf -d "$b/libsevslot.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
want=$(sed -n 's/^SOVERSION *:= *//p' Makefile)
[ "$soname" = "libsevslot.so.$want" ] || { echo "FAIL soname $soname, Makefile says libsevslot.so.$want"; fail=1; }
[ $fail = 0 ] && echo "abi: $n symbols agree in the header, the map and the library ($soname)"
exit $fail
