#!/bin/sh
# make check-hw: what only real SEV hardware can check.
#   tests/hw.sh build/sevslot
# Where /dev/sev exists: the live probe must agree with the kernel's own
# numbers (misc.capacity vs the pools, /proc/cpuinfo flags and kvm_amd
# parameters vs the checks), and, as root, a snapshot must replay to the
# same report. Elsewhere: one "skip:" line, exit 0. What an older kernel
# cannot show (no misc cgroup before 5.13, no sev_es flag before 5.10) is
# expected as skip, so an older EPYC runner passes too.
#
# SEVSLOT_HW_SYSROOT=DIR runs the comparisons against a recorded host instead
# (probe --sysroot DIR, kernel files read under DIR; no snapshot), which is how
# this script's own logic is tested away from hardware (tests/test_hw_script.c
# replays every fixture in tests/fixtures/hosts).
set -u
bin=${1:?usage: hw.sh SEVSLOT}
root=${SEVSLOT_HW_SYSROOT:-}

if [ ! -e "$root/dev/sev" ]; then
	echo "skip: no /dev/sev on this host"
	exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "hw: FAIL python3 is needed (tools/install-deps)"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
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

[ $fail = 0 ] && echo "check-hw: passed" || echo "check-hw: FAILED"
exit $fail
