#!/bin/sh
# Replay every real-host fixture through the real binary and compare with the
# expected report: tests/fixtures/expected/<host>/probe.{txt,json,exit}.
#   tests/fixtures.sh build/sevslot            check
#   tests/fixtures.sh build/sevslot --update   rewrite expected (review the diff!)
#   tests/fixtures.sh build/sevslot --update HOST   only that host's (tools/add-fixture)
set -u
bin=${1:?usage: fixtures.sh SEVSLOT [--update [HOST]]}
update=${2:-}
only=${3:-}
top=$(dirname "$0")/fixtures
pass=0 fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for dir in "$top"/hosts/*/; do
	host=$(basename "$dir")
	[ -n "$only" ] && [ "$host" != "$only" ] && continue
	exp="$top/expected/$host"
	"$bin" --sysroot "$dir" probe > "$tmp/txt" 2> "$tmp/err"
	echo $? > "$tmp/exit"
	"$bin" --sysroot "$dir" probe --json > "$tmp/json" 2>> "$tmp/err"
	if [ "$update" = --update ]; then
		mkdir -p "$exp"
		cp "$tmp/txt" "$exp/probe.txt"; cp "$tmp/json" "$exp/probe.json"; cp "$tmp/exit" "$exp/probe.exit"
		continue
	fi
	ok=1
	for k in txt json exit; do
		if ! diff -u "$exp/probe.$k" "$tmp/$k" > "$tmp/diff"; then
			echo "FAIL $host: probe.$k differs"; cat "$tmp/diff"; ok=0
		fi
	done
	if [ -s "$tmp/err" ]; then
		echo "FAIL $host: unexpected stderr:"; cat "$tmp/err"; ok=0
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
[ "$update" = --update ] && { echo "expected reports rewritten: review 'git diff tests/fixtures/expected'"; exit 0; }
echo "fixtures: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
