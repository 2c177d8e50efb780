#!/bin/sh
# The libvirt hook against a real libvirt: libvirtd and virtlogd in the
# foreground, in a private mount namespace (tmpfs over /etc/libvirt/hooks and
# libvirt's run, state, log and cache directories, so the machine's own are left
# alone), the hook installed as /etc/libvirt/hooks/qemu.d/sevslot pointing at
# this build, a small q35 TCG guest with <os firmware='efi'> defined, started
# and destroyed. Proves libvirt ran the hook at prepare and release with the
# domain XML on stdin, and that the plain domain got no slot (the hook never
# opened the ledger), and that `virsh list --uuid | sevslot reconcile --live -`
# keeps the running guest's slot. Then drives the SEV path with the exact arguments and
# XML libvirt passed, plus a <launchSecurity>, on a recorded 15-slot host, and
# lets libvirt itself start an SEV guest (the XML made one on its way to the
# hook) on the full pool: refused at prepare, with the hook's line shown.
# Where the daemon cannot start here it prints one line and skips.
#   tests/libvirt-hook.sh BUILD
set -u
b=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
name=sevslot-hook-test
uuid=5e1f0c7a-3b2d-4e6f-8a9b-0c1d2e3f4a5b

skip() { echo "libvirt-hook: skipped: $*"; exit 0; }

if [ "${SEVSLOT_IN_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (it starts libvirtd)"
	for c in unshare libvirtd virtlogd virsh qemu-system-x86_64 sqlite3; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/install-deps lists it)"
	done
	[ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "no OVMF (apt-get install ovmf)"
	unshare -m --propagation private true 2>/dev/null || skip "cannot make a private mount namespace here"
	tmp=$(mktemp -d /tmp/sevslot-libvirt.XXXXXX) || exit 1
	SEVSLOT_IN_NS=1 SEVSLOT_TMP=$tmp timeout 170 unshare -m --propagation private "$0" "$b"
	rc=$?
	rm -rf "$tmp"
	[ $rc = 124 ] && echo "libvirt-hook: FAIL: still running after 170 s"
	exit $rc
fi

# ------------------------------------------------------------ in the namespace
tmp=$SEVSLOT_TMP
start=$(date +%s)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

# A private copy of /etc/libvirt (no domain, no network, an empty hooks
# directory), and empty run, state, log and cache directories: what the
# daemon writes stays in this namespace.
[ -d /etc/libvirt ] || skip "no /etc/libvirt: libvirt-daemon-system is not installed"
cp -a /etc/libvirt "$tmp/etc" && rm -rf "$tmp/etc/qemu" "$tmp/etc/hooks" &&
	mkdir -p "$tmp/etc/qemu" "$tmp/etc/hooks/qemu.d" &&
	mount --bind "$tmp/etc" /etc/libvirt || skip "cannot give libvirt a private /etc/libvirt"
mkdir -p /run/libvirt    # on /run's tmpfs; libvirtd makes it anyway
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
	[ -d "$d" ] && mount -t tmpfs tmpfs "$d" || skip "cannot mount a tmpfs on $d"
done
# The guest runs under TCG; a nested /dev/kvm makes libvirt's capability probe
# of QEMU take minutes on a shared machine, so libvirt here does not see one,
# and its per-guest /dev must not try to carry that mount over: no namespaces.
if [ -e /dev/kvm ]; then
	: > "$tmp/no-kvm" && mount --bind "$tmp/no-kvm" /dev/kvm
fi
echo 'namespaces = [ ]' >> /etc/libvirt/qemu.conf

# The hook, as the shipped wrapper runs it, plus a record of every call.
host=$tmp/host
cp -a "$top/tests/fixtures/hosts/epyc-7551p-naples" "$host"   # 15 SEV slots
mkdir -p "$tmp/calls"
# The guest named $name-sev is made an SEV guest on its way to the hook (this
# machine cannot define one), so that libvirt itself meets a refusal.
cat > /etc/libvirt/hooks/qemu.d/sevslot <<EOF
#!/bin/sh
f="$tmp/calls/\$1-\$2-\$3.xml"; if [ "\$1" = $name-sev ]; then sed "s|</domain>|<launchSecurity type='sev'><policy>0x33</policy></launchSecurity></domain>|" > "\$f"; else cat > "\$f"; fi
"$b/sevslot" --sysroot "$host" --ledger "$tmp/ledger.db" libvirt-hook "\$@" < "\$f"; rc=\$?
printf '%s %s %s %s -> %s\n' "\$1" "\$2" "\$3" "\${4-}" "\$rc" >> "$tmp/hook.log"; exit \$rc
EOF
chmod 0755 /etc/libvirt/hooks/qemu.d/sevslot

virtlogd > "$tmp/virtlogd.log" 2>&1 &
vl=$!
libvirtd > "$tmp/libvirtd.log" 2>&1 &
lv=$!
stop() {
	pidfile=/run/libvirt/qemu/$name.pid
	[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	kill "$lv" "$vl" 2>/dev/null
	wait "$lv" "$vl" 2>/dev/null
}
trap stop EXIT
V="timeout 60 virsh -q -c qemu:///system"
up=0
for _ in $(seq 100); do
	kill -0 "$lv" 2>/dev/null || break
	$V version >/dev/null 2>&1 && { up=1; break; }
	sleep 0.3
done
[ $up = 1 ] || skip "libvirtd did not start: $(grep -v dmidecode "$tmp/libvirtd.log" | tail -1)"

cat > "$tmp/domain.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
check '$V define "$tmp/domain.xml" >/dev/null' "virsh define: $(tail -1 "$tmp/libvirtd.log")"
if ! $V start "$name" > "$tmp/start.out" 2>&1; then
	bad "virsh start: $(cat "$tmp/start.out")"
else
	ok
	for _ in $(seq 50); do
		[ "$($V domstate "$name" 2>/dev/null)" = running ] && break
		sleep 0.2
	done
	check '[ "$($V domstate "$name")" = running ]' "the guest is not running"
	# README's reconcile for libvirt users, on virsh's own output: the running guest's
	# slot stays, a guest that is gone loses its.
	R="$b/sevslot --sysroot $host --ledger $tmp/reconcile.db"
	$R allocate "$uuid" >/dev/null && $R allocate 0b5d7e1c-9a2f-4c3e-8d1b-6f0e2a4c5b7d >/dev/null
	$V list --uuid | $R reconcile --live - > "$tmp/reconcile.out" 2>&1
	rc=$?
	check '[ $rc = 0 ] && [ "$($R list --json | grep -c "\"consumer\"")" = 1 ] && $R list | grep -q "$uuid"' \
		"virsh list --uuid | sevslot reconcile --live - (exit $rc): $(cat "$tmp/reconcile.out")"
	check '$V destroy "$name" >/dev/null' "virsh destroy"
fi
for _ in $(seq 50); do grep -q ' release end ' "$tmp/hook.log" 2>/dev/null && break; sleep 0.2; done

# libvirt ran the hook at prepare and release, with the domain on stdin, and it let them be.
for op in "prepare begin" "start begin" "started begin" "stopped end" "release end"; do
	check 'grep -q "^$name $op .* -> 0$" "$tmp/hook.log"' "no '$op' call that exited 0 in hook.log"
done
check 'grep -q "<uuid>$uuid</uuid>" "$tmp/calls/$name-prepare-begin.xml"' "prepare begin had no domain XML"
check 'grep -q "<domain type=.qemu. id=" "$tmp/calls/$name-prepare-begin.xml"' "prepare begin had not the live XML"
# The plain domain got no slot: the hook never even opened the ledger.
check '[ ! -e "$tmp/ledger.db" ]' "a plain domain made the hook open the ledger"

# --------------------------------------------- the SEV path, as libvirt calls it
args=$(sed -n "s/^\\($name prepare begin .*\\) -> 0\$/\\1/p" "$tmp/hook.log" | head -1)
sed 's|</domain>|  <launchSecurity type='"'"'sev'"'"'>\n    <cbitpos>47</cbitpos>\n    <reducedPhysBits>1</reducedPhysBits>\n    <policy>0x0033</policy>\n  </launchSecurity>\n</domain>|' \
	"$tmp/calls/$name-prepare-begin.xml" > "$tmp/sev.xml"
hookrun() { # hookrun OPERATION SUBOPERATION EXTRA: libvirt's call, the SEV domain on stdin
	"$b/sevslot" --sysroot "$host" --ledger "$tmp/ledger.db" libvirt-hook "$name" "$@" \
		< "$tmp/sev.xml" > "$tmp/out" 2> "$tmp/err"
}
q() { sqlite3 -readonly -cmd '.timeout 5000' "$tmp/ledger.db" "$1"; }
check '[ "$args" = "$name prepare begin -" ]' "libvirt passed '$args' at prepare"
hookrun prepare begin -
rc=$?
check '[ $rc = 0 ] && [ ! -s "$tmp/out" ]' "SEV prepare begin: exit $rc: $(cat "$tmp/err")"
slot=$(q "SELECT pool || ' ' || slot FROM slots WHERE consumer = '$uuid'")
check '[ "$slot" = "sev 0" ]' "SEV prepare begin allocated '$slot', not slot 0 of pool sev"
detail=$(q "SELECT detail FROM events WHERE result = 'created'")
check '[ "$detail" = "libvirt domain '"'$name'"' prepare begin" ]' "the journal says '$detail'"
hookrun reconnect begin -
rc=$?
check '[ $rc = 0 ] && [ "$(q "SELECT count(*) FROM slots")" = 1 ]' "reconnect begin is not idempotent"
for op in "migrate begin" "restore begin"; do
	# shellcheck disable=SC2086
	hookrun $op -
	rc=$?
	check '[ $rc = 69 ] && [ ! -s "$tmp/out" ] && grep -q "not supported" "$tmp/err"' "$op was not refused"
done
hookrun release end -
rc=$?
check '[ $rc = 0 ] && [ "$(q "SELECT count(*) FROM slots")" = 0 ]' "release end freed nothing"
for i in $(seq 15); do
	"$b/sevslot" --sysroot "$host" --ledger "$tmp/ledger.db" allocate "other-$i" >/dev/null
done
hookrun prepare begin -
rc=$?
check '[ $rc = 75 ] && [ ! -s "$tmp/out" ]' "a full pool did not refuse the start (exit $rc)"
check 'grep -q "pool sev is full: 15 of 15 slots" "$tmp/err" && grep -q "ledger $tmp/ledger.db" "$tmp/err"' \
	"the refusal does not say the pool is full and name the ledger: $(cat "$tmp/err")"

# And libvirt itself: an SEV guest meets the full pool at prepare begin, is not started,
# and virsh shows the hook's line.
sed "s|<name>$name</name>|<name>$name-sev</name>|; s|<uuid>$uuid</uuid>|<uuid>7a6b5c4d-3e2f-4a1b-9c8d-0e1f2a3b4c5d</uuid>|" \
	"$tmp/domain.xml" > "$tmp/domain-sev.xml"
$V define "$tmp/domain-sev.xml" >/dev/null
$V start "$name-sev" > "$tmp/start-sev.out" 2>&1
rc=$?
check '[ $rc != 0 ] && grep -q "pool sev is full: 15 of 15 slots allocated (ledger $tmp/ledger.db)" "$tmp/start-sev.out"' \
	"libvirt started the SEV guest on a full pool, or did not say why: $(cat "$tmp/start-sev.out")"
check 'grep -q "^$name-sev prepare begin - -> 75$" "$tmp/hook.log"' "no refused prepare begin in hook.log"
check '[ "$($V domstate "$name-sev")" = "shut off" ]' "the refused SEV guest is not shut off"
check '[ "$(q "SELECT count(*) FROM slots WHERE consumer = '"'7a6b5c4d-3e2f-4a1b-9c8d-0e1f2a3b4c5d'"'")" = 0 ]' \
	"the refused SEV guest holds a slot"

if [ $fail != 0 ]; then
	echo "--- hook.log"; cat "$tmp/hook.log" 2>/dev/null
	echo "--- libvirtd.log (last lines)"; grep -v dmidecode "$tmp/libvirtd.log" | tail -5
fi
echo "libvirt-hook: $pass passed, $fail failed (real libvirtd $(libvirtd --version | awk '{print $NF}'), $(( $(date +%s) - start )) s)"
[ $fail = 0 ]
