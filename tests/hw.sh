#!/bin/sh
# make check-hw: what only real SEV hardware can check.
#   tests/hw.sh build/sevslot
# Where /dev/sev exists: the live probe must agree with the kernel's own
# numbers (misc.capacity vs the pools, /proc/cpuinfo flags and kvm_amd
# parameters vs the checks), and, as root, a snapshot must replay to the
# same report. Elsewhere: one "skip:" line, exit 0. What an older kernel
# cannot show (no misc cgroup before 5.13, no sev_es flag before 5.10) is
# expected as skip, so an older EPYC runner passes too. Where QEMU and an
# SEV-capable OVMF are installed, one tiny SEV guest checks the ledger against
# the kernel (below, "An SEV guest against the ledger").
#
# SEVSLOT_HW_SYSROOT=DIR runs the comparisons against a recorded host instead
# (probe --sysroot DIR, kernel files read under DIR; no snapshot), which is how
# this script's own logic is tested away from hardware (tests/test_hw_script.c
# replays every fixture in tests/fixtures/hosts, and runs the guest check with
# tests/hw-qemu-standin in QEMU's place).
set -u
bin=${1:?usage: hw.sh SEVSLOT}
root=${SEVSLOT_HW_SYSROOT:-}

if [ ! -e "$root/dev/sev" ]; then
	echo "skip: no /dev/sev on this host"
	exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "hw: FAIL python3 is needed (tools/install-deps)"; exit 1; }

tmp=$(mktemp -d) || exit 1
pid=
trap 'rm -rf "$tmp"; [ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
fail=0

probe() { # probe OUT [--json]
	out=$1; shift
	if [ -n "$root" ]; then
		"$bin" --sysroot "$root" probe "$@" > "$out" 2> "$tmp/err"
	else
		"$bin" probe "$@" > "$out" 2> "$tmp/err"
	fi
}

probe "$tmp/live.json" --json
code=$?
if [ $code -ne 0 ] && [ $code -ne 69 ]; then
	echo "hw: FAIL probe --json exited $code:"; cat "$tmp/err"
	exit 1
fi

# The kernel's own numbers against the report.
python3 - "$tmp/live.json" "$root" "$(id -u)" <<'EOF' || fail=1
import json, os, sys

report = json.load(open(sys.argv[1]))
root, uid = sys.argv[2], int(sys.argv[3])
passed = failed = 0

def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)

def read(path):
    try:
        with open(root + path) as f:
            return f.read()
    except OSError:
        return None

checks = {c["id"]: c for c in report["checks"]}
def status(cid):
    return checks[cid]["status"] if cid in checks else None

# kvm_amd parameters: Y or 1 is on.
for name in ("sev", "sev_es", "sev_snp"):
    raw = read("/sys/module/kvm_amd/parameters/" + name)
    want = None if raw is None else raw.strip() in ("Y", "1")
    ok(report["kernel"][name] == want,
       "kvm_amd %s: file says %r, report says %r" % (name, raw and raw.strip(), report["kernel"][name]))
    if want is not None and report["cpu"][name]:
        ok(status("kvm." + name) == ("pass" if want else "fail"),
           "check kvm.%s is %s with %s=%s" % (name, status("kvm." + name), name, raw.strip()))

# misc.capacity (cgroup v2, else v1) against the pools.
cap = read("/sys/fs/cgroup/misc.capacity")
if cap is None:
    cap = read("/sys/fs/cgroup/misc/misc.capacity")
if cap is None:
    print("skip misc.capacity: no misc cgroup on this kernel")
else:
    misc = {"sev": 0, "sev_es": 0}
    for line in cap.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in misc:
            misc[parts[0]] = int(parts[1])
    ok(report["kernel"]["misc_capacity"] == misc,
       "misc.capacity %s read as %s" % (misc, report["kernel"]["misc_capacity"]))
    pools = report["pools"]
    es = pools["sev_es"]["capacity"] + pools.get("sev_snp", {"capacity": 0})["capacity"]
    if report["kernel"]["sev"] or misc["sev"]:
        ok(misc["sev"] == pools["sev"]["capacity"],
           "misc.capacity sev %d = SEV pool %d" % (misc["sev"], pools["sev"]["capacity"]))
    if report["kernel"]["sev_es"] or misc["sev_es"]:
        ok(misc["sev_es"] == es,
           "misc.capacity sev_es %d = SEV-ES + SEV-SNP pools %d" % (misc["sev_es"], es))
    ok(status("asids.misc_cgroup") in ("pass", "skip"),
       "check asids.misc_cgroup is %s" % status("asids.misc_cgroup"))

# /proc/cpuinfo flags of the first processor against the CPU and enabled checks.
# A kernel lists a flag only from the release that added it (X86_FEATURE_* in
# arch/x86/include/asm/cpufeatures.h); before that it cannot show what the
# firmware enabled, and the report must say skip rather than fail.
FLAG_SINCE = {"sme": (4, 14), "sev": (4, 16), "sev_es": (5, 10), "sev_snp": (5, 19)}
osrelease = (read("/proc/sys/kernel/osrelease") or "").strip()
try:
    release = tuple(int(x) for x in osrelease.split("-")[0].split(".")[:2])
except ValueError:
    release = None      # unreadable: judge as a kernel that has every flag

info = read("/proc/cpuinfo") or ""
flags = None
for line in info.split("\n\n")[0].splitlines():
    key, _, value = line.partition(":")
    if key.strip() == "flags":
        flags = set(value.split())
if flags is None:
    print("skip cpuinfo: no flags line")
else:
    for name in ("sme", "sev", "sev_es", "sev_snp"):
        if name in flags:
            ok(report["cpu"][name], "cpuinfo lists %s: CPUID reports it too" % name)
        if name == "sme" or not (report["cpu"]["sev"] and report["cpu"][name]):
            continue
        got = status("enabled." + name)
        predates = release is not None and len(release) == 2 and release < FLAG_SINCE[name]
        if predates and name not in flags:
            ok(got == "skip", "check enabled.%s is %s; Linux %s predates the %s flag (%d.%d)"
               % ((name, got, osrelease, name) + FLAG_SINCE[name]))
        elif name in flags:
            # A vendor kernel may list a flag before its upstream release: the
            # firmware enabled it, and the probe may still judge by the release.
            ok(got == "pass" or (predates and got == "skip"),
               "check enabled.%s is %s; cpuinfo lists it" % (name, got))
        else:
            ok(got == "fail", "check enabled.%s is %s; cpuinfo lacks it" % (name, got))

# /dev/sev exists: the CPU offers SEV, and root can open it read-only.
ok(report["cpu"]["sev"], "/dev/sev exists and CPUID reports SEV")
if uid == 0 and not root:  # a recording was read by whoever recorded it
    ok(status("firmware.device") == "pass", "check firmware.device is %s as root" % status("firmware.device"))

print("hw: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF

# The snapshot of this host must replay to the same report.
if [ -n "$root" ]; then
	echo "skip snapshot round trip: SEVSLOT_HW_SYSROOT is set"
elif [ "$(id -u)" != 0 ]; then
	echo "skip snapshot round trip: /dev/sev and the MSRs are root's (run make check-hw as root)"
else
	same=0
	for attempt in 1 2; do
		rm -rf "$tmp/snap"
		if ! "$bin" snapshot "$tmp/snap" > /dev/null 2> "$tmp/err"; then
			echo "FAIL snapshot:"; cat "$tmp/err"; fail=1; break
		fi
		"$bin" probe --json > "$tmp/live2.json"; c1=$?
		"$bin" --sysroot "$tmp/snap" probe --json > "$tmp/replay.json"; c2=$?
		if [ $c1 = $c2 ] && cmp -s "$tmp/live2.json" "$tmp/replay.json"; then
			same=1; break
		fi
		# A guest may have started or stopped in between: try once more.
	done
	if [ $same = 1 ]; then
		echo "ok   snapshot round trip: the replay prints the live report"
	elif [ $fail = 0 ]; then
		echo "FAIL snapshot round trip (exit $c1 live, $c2 replay):"
		diff -u "$tmp/live2.json" "$tmp/replay.json"
		fail=1
	fi
fi

# An SEV guest against the ledger. With a tiny SEV guest running (no disk,
# OVMF only), misc.current sev must rise by one and `audit` must report
# host_ahead until the guest's slot is allocated; after the guest stops it
# must fall back (audit: ledger_ahead until the slot is released). The audit
# uses a scratch ledger holding one slot per guest already running here; no
# other SEV guest may start or stop during the check's few seconds (a failure
# names the counts it saw).
# Needs root, /dev/kvm, misc.current (Linux 6.5+), a usable amd-sev model,
# QEMU with confidential-guest-support and a firmware descriptor for amd-sev
# without SMM. With SEVSLOT_HW_SYSROOT, SEVSLOT_HW_QEMU names a stand-in for
# QEMU (nothing is ever run from a sysroot).
guest_skip() { echo "skip SEV guest: $*"; }
json() { # json FILE EXPR: a Python expression over the parsed file, as d
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
sevslot() { # sevslot ARGS: the CLI on this host (or the recording) and the scratch ledger
	if [ -n "$root" ]; then
		"$bin" --sysroot "$root" --ledger "$tmp/guest.db" "$@"
	else
		"$bin" --ledger "$tmp/guest.db" "$@"
	fi
}
misc() { # misc POOL: its line of misc.current (cgroup v2, else v1), empty if none
	sed -n "s/^$1 \([0-9]*\)\$/\1/p" "$root/sys/fs/cgroup/misc.current" 2>/dev/null ||
		sed -n "s/^$1 \([0-9]*\)\$/\1/p" "$root/sys/fs/cgroup/misc/misc.current" 2>/dev/null
}
wait_for() { # wait_for COMMAND...: until it succeeds, for up to SEVSLOT_HW_WAIT (20) s
	i=0
	until "$@"; do
		[ $i -ge $(( ${SEVSLOT_HW_WAIT:-20} * 5 )) ] && return 1
		sleep 0.2; i=$((i + 1))
	done
}
misc_is() { [ "$(misc sev)" = "$1" ]; }
gone() { # gone PID: exited (a zombie whose parent has not reaped it yet counts)
	! kill -0 "$1" 2>/dev/null || [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
audit_has() { # audit_has CODE KIND: audit exits CODE, and with KIND a finding on misc.current sev
	sevslot audit --json > "$tmp/audit.json" 2> "$tmp/err"
	[ $? = "$1" ] || return 1
	[ -z "${2:-}" ] && return 0
	[ "$(json "$tmp/audit.json" "any(f['kind'] == '$2' and f['source'] == 'misc.current'
	      and f['pool'] == 'sev' for f in d['findings'])")" = True ]
}
gok() { # gok CONDITION-STATUS WHAT
	if [ "$1" = 0 ]; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi
}

guest_check() {
	if [ -n "$root" ]; then
		qemu=${SEVSLOT_HW_QEMU:-}
		[ -n "$qemu" ] || { guest_skip "SEVSLOT_HW_SYSROOT is set (SEVSLOT_HW_QEMU names a stand-in for QEMU)"; return; }
	else
		[ "$(id -u)" = 0 ] || { guest_skip "needs root (run make check-hw as root)"; return; }
		[ -c /dev/kvm ] || { guest_skip "no /dev/kvm"; return; }
		qemu=$(command -v qemu-system-x86_64 || { [ -x /usr/libexec/qemu-kvm ] && echo /usr/libexec/qemu-kvm; })
		[ -n "$qemu" ] || { guest_skip "no QEMU (qemu-system-x86_64)"; return; }
		"$qemu" -machine q35,help 2>/dev/null | grep -q confidential-guest-support ||
			{ guest_skip "$qemu has no confidential-guest-support (QEMU 6.0+)"; return; }
	fi
	n0=$(misc sev)
	[ -n "$n0" ] || { guest_skip "no misc.current sev line (Linux 6.5+ with SEV ASIDs)"; return; }
	[ "$(json "$tmp/live.json" "d['models']['amd-sev']['usable']")" = True ] ||
		{ guest_skip "this host cannot run amd-sev guests"; return; }
	# QEMU's firmware descriptors, /etc replacing its namesake in /usr/share (an
	# empty file hides it): the first for UEFI on q35 with amd-sev and no SMM.
	fw=$(python3 - "$root" <<'PY'
import glob, json, os, sys
root = sys.argv[1]
found = {}
for d in ("/usr/share/qemu/firmware", "/etc/qemu/firmware"):
    for path in glob.glob(root + d + "/*.json"):
        found[os.path.basename(path)] = path
for name in sorted(found):
    try:
        desc = json.load(open(found[name]))
    except ValueError:
        continue  # empty (a hiding file) or broken
    feats, m = desc.get("features", []), desc.get("mapping", {})
    q35 = any(t.get("architecture") == "x86_64" and any(x.startswith("pc-q35") for x in t.get("machines", []))
              for t in desc.get("targets", []))
    if "uefi" not in desc.get("interface-types", []) or "amd-sev" not in feats or "requires-smm" in feats or not q35:
        continue
    if m.get("device") == "flash" and "executable" in m:
        print("flash", m["executable"]["filename"], m.get("nvram-template", {}).get("filename", ""))
        break
    if m.get("device") == "memory" and "filename" in m:
        print("memory", m["filename"], "")
        break
PY
)
	[ -n "$fw" ] || { guest_skip "no QEMU firmware descriptor for amd-sev without SMM (package ovmf)"; return; }
	set -- $fw
	case $1 in
	flash) firmware="-drive if=pflash,format=raw,unit=0,readonly=on,file=$root$2"
	       if [ -n "${3:-}" ]; then
		       cp "$root$3" "$tmp/vars.fd" || { guest_skip "cannot copy $root$3"; return; }
		       firmware="$firmware -drive if=pflash,format=raw,unit=1,file=$tmp/vars.fd"
	       fi ;;
	memory) firmware="-bios $root$2" ;;
	esac

	# The scratch ledger holds a slot per guest already running: audit agrees.
	n_snp=$(json "$tmp/live.json" "(d['firmware'] or {}).get('snp') and d['firmware']['snp']['guest_count'] or 0")
	n_es=$(( $(misc sev_es) + 0 - n_snp ))
	for spec in "amd-sev $n0" "amd-sev-es $n_es" "amd-sev-snp $n_snp"; do
		set -- $spec
		i=0
		while [ $i -lt "$2" ]; do
			sevslot allocate "hw-running-$1-$i" --model "$1" > /dev/null 2> "$tmp/err" ||
				{ guest_skip "cannot mirror the guests already running: $(cat "$tmp/err")"; return; }
			i=$((i + 1))
		done
	done
	audit_has 0 || { guest_skip "guests started or stopped meanwhile (audit: $(head -c 300 "$tmp/audit.json"))"; return; }

	cbit=$(json "$tmp/live.json" "d['cpu']['cbitpos']")
	# shellcheck disable=SC2086
	"$qemu" -machine q35,confidential-guest-support=sev0 -accel kvm -cpu host -m 256M \
		-object "sev-guest,id=sev0,cbitpos=$cbit,reduced-phys-bits=1,policy=0x1" $firmware \
		-nodefaults -display none -serial none -monitor none \
		-daemonize -pidfile "$tmp/qemu.pid" > "$tmp/qemu.err" 2>&1
	code=$?
	if [ $code != 0 ]; then
		echo "FAIL SEV guest: $qemu exited $code:"; cat "$tmp/qemu.err"; fail=1; return
	fi
	pid=$(cat "$tmp/qemu.pid")
	wait_for misc_is $((n0 + 1)); gok $? "misc.current sev rose from $n0 to $(misc sev) with one SEV guest running"
	audit_has 65 host_ahead; gok $? "audit reports host_ahead on misc.current sev before the guest's slot is allocated"
	sevslot allocate hw-guest --model amd-sev > /dev/null 2> "$tmp/err"
	gok $? "allocate gives the guest its slot$(sed 's/^/: /' "$tmp/err")"
	audit_has 0; gok $? "audit is consistent once the guest's slot is allocated"
	kill "$pid"
	wait_for gone "$pid"; gok $? "the guest (pid $pid) stopped"
	pid=
	wait_for misc_is "$n0"; gok $? "misc.current sev fell back to $(misc sev) after the guest stopped"
	audit_has 65 ledger_ahead; gok $? "audit reports ledger_ahead until the slot is released"
	sevslot release hw-guest > /dev/null; audit_has 0; gok $? "audit is consistent after release"
}
guest_check

[ $fail = 0 ] && echo "check-hw: passed" || echo "check-hw: FAILED"
exit $fail
