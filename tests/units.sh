#!/bin/sh
# The systemd units' commands, run inside an approximation of their sandbox:
# systemd is not PID 1 where make check runs, so systemd-analyze verify checks
# the units' syntax and this checks that sevslot works inside what they allow.
# In a private mount and network namespace (PrivateNetwork=): every mount
# read-only but the API file systems (ProtectSystem=strict), the unit's
# ReadWritePaths= writable, then each ExecStart= under setpriv with no new
# privileges and the unit's capability bounding set.
# /var/lib is a scratch directory, laid out as the package's tmpfiles.d makes
# it. A second audit without ReadWritePaths= must fail: the sandbox is real.
# Not approximated: DeviceAllow=, SystemCallFilter=, MemoryDenyWriteExecute=,
# PrivateTmp= (sevslot never uses /tmp) and the other Protect*= options
# (systemd-analyze verify reads them).
#   tests/units.sh PREFIX BUILD    (units installed under PREFIX/lib/systemd/system)
set -u
root=${1:?usage: units.sh PREFIX BUILD}
b=${2:?usage: units.sh PREFIX BUILD}
units=$root/lib/systemd/system

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1 ||
   ! unshare --mount --net --propagation private true 2>/dev/null; then
	echo "skip: unit sandbox: needs root, setpriv and unshare (mount and network namespaces)"
	exit 0
fi
mkdir -p "$b"
scratch=$(cd "$b" && mktemp -d "$(pwd)/units.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
pass=0 fail=0

# What `systemctl edit sevslot-inventory.service` would add on a host whose
# NFD directory is elsewhere: the drop-in the unit's own comment shows.
cat > "$scratch/inventory.conf" <<'EOF'
[Service]
Environment=SEVSLOT_NFD=/var/lib/nfd/features.d/sevslot
ReadWritePaths=/var/lib/nfd/features.d
EOF

# unit_key FILE... KEY: the values of KEY= in order (the last Environment= wins).
unit_key() {
	key=$1; shift
	sed -n "s/^$key=//p" "$@"
}

# sandbox RW FILE...: run the unit's ExecStart= lines in its sandbox and
# print "exit N COMMAND" for each. RW=no leaves out ReadWritePaths=.
sandbox() {
	rw=$1; shift
	varlib=$scratch/varlib
	rm -rf "$varlib"
	mkdir -p "$varlib/sevslot" "$varlib/prometheus/node-exporter" "$varlib/nfd/features.d"
	chmod 2770 "$varlib/sevslot"
	{
		echo "set -u"
		echo "mount --bind '$varlib' /var/lib || exit 90"
		keep="/proc /sys /dev"
		if [ "$rw" = yes ]; then
			for p in $(unit_key ReadWritePaths "$@"); do
				case $p in -*) opt=1; p=${p#-} ;; *) opt=0 ;; esac
				echo "if [ -d '$p' ]; then mount --bind '$p' '$p' || exit 91;"
				echo "elif [ $opt = 0 ]; then echo 'missing ReadWritePaths=$p'; exit 92; fi"
				keep="$keep $p"
			done
		fi
		echo "findmnt -rno TARGET | while read -r t; do"
		echo "  case \" $keep \" in *\" \$t \"*) continue ;; esac"
		echo "  case \$t in /proc/*|/sys/*|/dev/*) continue ;; esac"
		echo "  mount -o remount,bind,ro \"\$t\" 2>/dev/null"
		echo "done"
		echo "touch /var/lib/.rw 2>/dev/null && { echo 'sandbox: /var/lib stayed writable'; exit 93; }"
		caps=$(unit_key CapabilityBoundingSet "$@" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd, -)
		# Last first: a later Environment= (a drop-in) overrides an earlier one.
		env=$(unit_key Environment "$@" | tac | tr '\n' ' ')
		unit_key ExecStart "$@" | while read -r cmd; do
			for kv in $env; do
				cmd=$(echo "$cmd" | sed "s|\${${kv%%=*}}|${kv#*=}|g")
			done
			echo "err=\$(env -i PATH=/usr/bin:/bin setpriv --no-new-privs --inh-caps=-all \\"
			echo "  --bounding-set=-all${caps:+,$caps} -- $cmd 2>&1 > /dev/null)"
			echo "echo \"exit \$? $cmd\"; [ -z \"\$err\" ] || echo \"  stderr: \$err\""
		done
	} > "$scratch/run.sh"
	unshare --mount --net --propagation private sh "$scratch/run.sh"
}

# result LOG COMMAND-WORD: the exit code of the line whose command has it.
result() { sed -n "s|^exit \([0-9]*\) .*$2.*|\1|p" "$1" | head -1; }
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: units: $2"; fail=$((fail + 1)); fi; }

# audit: it runs and writes the ledger where the unit allows it. Exit 65 is an
# audit too (this host may run SEV guests the scratch ledger does not know).
sandbox yes "$units/sevslot-audit.service" > "$scratch/audit.log"
code=$(result "$scratch/audit.log" " audit")
case $code in 0|65) ok 0 "" ;; *) ok 1 "sevslot audit in its sandbox exited '$code':"; cat "$scratch/audit.log" ;; esac
ok "$([ -f "$scratch/varlib/sevslot/ledger.db" ]; echo $?)" "audit left no ledger in /var/lib/sevslot"
# ... and cannot write it without ReadWritePaths=.
sandbox no "$units/sevslot-audit.service" > "$scratch/audit-ro.log"
code=$(result "$scratch/audit-ro.log" " audit")
case $code in 74|77) ok 0 "" ;; *) ok 1 "audit without ReadWritePaths= exited '$code', not 74 or 77:"; cat "$scratch/audit-ro.log" ;; esac

# inventory, with the drop-in: both files written, nothing else.
sandbox yes "$units/sevslot-inventory.service" "$scratch/inventory.conf" > "$scratch/inv.log"
if grep -q -- "--output" "$scratch/inv.log" && grep -q "unknown option\|unrecognized option" "$scratch/inv.log"; then
	echo "skip: unit sandbox: this sevslot has no inventory --output yet"
else
	ok "$(result "$scratch/inv.log" "prometheus")" "inventory --format prometheus in its sandbox:"
	ok "$(result "$scratch/inv.log" "nfd")" "inventory --format nfd in its sandbox:"
	[ "$fail" = 0 ] || cat "$scratch/inv.log"
	ok "$([ -s "$scratch/varlib/prometheus/node-exporter/sevslot.prom" ]; echo $?)" "no Prometheus textfile"
	ok "$([ -s "$scratch/varlib/nfd/features.d/sevslot" ]; echo $?)" "no NFD features file"
fi
echo "units: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
