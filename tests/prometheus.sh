#!/bin/sh
# Every fixture's Prometheus textfile, judged by Prometheus's own promtool:
# `sevslot inventory --format prometheus` without a ledger and with one (each
# usable model holding a slot), through `promtool check metrics`, which
# parses the text exposition format and lints it (names, HELP, TYPE).
#   tests/prometheus.sh build/sevslot
# promtool is Debian's `prometheus` package (tools/install-deps installs it:
# about 20 MB to download and 96 MB installed, some 10 s here); without it
# the test says so in one line and skips.
set -u
bin=${1:?usage: prometheus.sh SEVSLOT}
top=$(dirname "$0")/fixtures/hosts
if ! command -v promtool >/dev/null 2>&1; then
	echo "prometheus: SKIP: no promtool (Debian package prometheus; tools/install-deps installs it)"
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/empty.conf"
pass=0 fail=0

# judge HOST WHAT: promtool on the textfile in $tmp/prom, nothing said, exit 0
judge() {
	if ! promtool check metrics < "$tmp/prom" > "$tmp/lint" 2>&1 || [ -s "$tmp/lint" ]; then
		echo "FAIL $1 ($2): promtool check metrics:"; cat "$tmp/lint"; fail=$((fail + 1))
		return
	fi
	if ! grep -q '^sevslot_pool_total_slots{pool="sev"} [0-9]' "$tmp/prom"; then
		echo "FAIL $1 ($2): no sevslot_pool_total_slots for pool sev"; fail=$((fail + 1))
		return
	fi
	pass=$((pass + 1))
}

for dir in "$top"/*/; do
	host=$(basename "$dir")
	ledger="$tmp/$host.db"
	run() { "$bin" --sysroot "$dir" --config "$tmp/empty.conf" --ledger "$ledger" "$@"; }
	if ! run inventory --format prometheus > "$tmp/prom" 2> "$tmp/err"; then
		echo "FAIL $host: inventory exited $?: $(cat "$tmp/err")"; fail=$((fail + 1)); continue
	fi
	judge "$host" "no ledger"
	grep -q '^sevslot_pool_allocated_slots' "$tmp/prom" &&
		{ echo "FAIL $host: allocated slots without a ledger"; fail=$((fail + 1)); }
	for model in amd-sev amd-sev-es amd-sev-snp; do
		run allocate "vm-$model" --model "$model" > /dev/null 2>&1
	done
	if ! run inventory --format prometheus > "$tmp/prom" 2> "$tmp/err"; then
		echo "FAIL $host: inventory exited $?: $(cat "$tmp/err")"; fail=$((fail + 1)); continue
	fi
	judge "$host" "with a ledger"
	grep -q '^sevslot_pool_free_slots{pool="sev"} [0-9]' "$tmp/prom" ||
		{ echo "FAIL $host: no free slots with a ledger"; fail=$((fail + 1)); }
done
echo "prometheus: $pass textfiles passed promtool, $fail failed"
[ "$fail" -eq 0 ]
