#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tools/add-fixture, as a maintainer uses it on hardware CI's artifact.
    python3 tests/add_fixture.py build/sevslot
- The facts it derives from a recording's own files hold, for every fixture
  in tests/fixtures/hosts, against sevslot's report and agree with the
  hand-written entries of facts.py.
- An artifact zip of a recording becomes a fixture whose golden report is the
  one the same recording already has, and fixtures.sh and facts.py pass with
  it, in a scratch copy of tests/fixtures.
- A zip that leaves its directory, a symlink, a name in use and a directory
  that is no snapshot are refused, and nothing is written.
"""
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "fixtures"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import facts as F  # noqa: E402

passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL " + what)


def load_tool():
    loader = importlib.machinery.SourceFileLoader("add_fixture", os.path.join(TOP, "tools", "add-fixture"))
    spec = importlib.util.spec_from_loader("add_fixture", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def derived_facts_hold(tool, binary):
    hosts = os.path.join(TOP, "tests", "fixtures", "hosts")
    for host in sorted(os.listdir(hosts)):
        facts, _, _, _ = tool.recorded_facts(os.path.join(hosts, host))
        run = F.probe(binary, os.path.join(hosts, host), True)
        report = json.loads(run.stdout)
        hand = F.FACTS.get(host, {})
        for key, want in facts.items():
            try:
                actual = F.lookup(report, run.returncode, key)
            except KeyError:
                actual = "<no such key>"
            ok(F.matches(key, actual, want), "%s: derived %s = %r, report says %r" % (host, key, want, actual))
            if key in hand:
                ok(hand[key] == want, "%s: derived %s = %r, facts.py says %r" % (host, key, want, hand[key]))


def scratch_tree():
    """A copy of tests/fixtures and fixtures.sh, for the tool to add to."""
    tmp = tempfile.mkdtemp()
    os.mkdir(os.path.join(tmp, "tests"))
    shutil.copytree(os.path.join(TOP, "tests", "fixtures"), os.path.join(tmp, "tests", "fixtures"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(TOP, "tests", "fixtures.sh"), os.path.join(tmp, "tests"))
    return tmp


def add(tmp, binary, src, name):
    env = dict(os.environ, SEVSLOT=binary, SEVSLOT_FIXTURES=os.path.join(tmp, "tests", "fixtures"))
    return subprocess.run([os.path.join(TOP, "tools", "add-fixture"), src, name], env=env,
                          capture_output=True, text=True)


def artifact(tmp, host, provenance):
    """The zip hardware.yml's upload-artifact makes: one directory, the recording."""
    path = os.path.join(tmp, "sevslot-snapshot-epyc-01.zip")
    src = os.path.join(TOP, "tests", "fixtures", "hosts", host)
    with zipfile.ZipFile(path, "w") as z:
        for dirpath, _, files in os.walk(src):
            for f in files:
                if f == "SOURCE.md":
                    continue
                full = os.path.join(dirpath, f)
                z.write(full, os.path.join("epyc-01", os.path.relpath(full, src)))
        z.writestr("epyc-01/SOURCE.md", provenance + "\n")
    return path


def end_to_end(binary):
    tmp = scratch_tree()
    fx = os.path.join(tmp, "tests", "fixtures")
    prov = "Recorded by hardware CI: sevslot/sevslot, run 42, runner epyc-01, commit abc123, 2026-11-27."
    r = add(tmp, binary, artifact(tmp, "epyc-9124-genoa-snp", prov), "epyc-9124-genoa-ci")
    ok(r.returncode == 0, "add-fixture on an artifact zip exited %d: %s" % (r.returncode, r.stderr))
    ok("added tests/fixtures/hosts/epyc-9124-genoa-ci" in r.stdout, "add-fixture says what it added: " + r.stdout)
    new = os.path.join(fx, "hosts", "epyc-9124-genoa-ci")
    old = os.path.join(TOP, "tests", "fixtures", "hosts", "epyc-9124-genoa-snp")
    listing = lambda d: sorted(os.path.relpath(os.path.join(p, f), d) for p, _, fs in os.walk(d) for f in fs)
    ok(listing(new) == listing(old), "the fixture holds the recording: %r" % listing(new))
    source = open(os.path.join(new, "SOURCE.md")).read() if os.path.exists(new) else ""
    ok(source.startswith(prov) and "CPUID 0x8000001F" in source and "SEV firmware API" in source,
       "SOURCE.md keeps the provenance and says what the recording holds: %r" % source)
    for k in ("txt", "json", "exit"):
        a = os.path.join(fx, "expected", "epyc-9124-genoa-ci", "probe." + k)
        b = os.path.join(TOP, "tests", "fixtures", "expected", "epyc-9124-genoa-snp", "probe." + k)
        ok(os.path.exists(a) and open(a).read() == open(b).read(),
           "the golden probe.%s is the one the same recording already has" % k)
    r = subprocess.run([os.path.join(tmp, "tests", "fixtures.sh"), binary], capture_output=True, text=True)
    ok(r.returncode == 0, "fixtures.sh passes with the new fixture: " + r.stdout[-300:])
    r = subprocess.run([sys.executable, os.path.join(fx, "facts.py"), binary], capture_output=True, text=True)
    ok(r.returncode == 0 and '"epyc-9124-genoa-ci"' in open(os.path.join(fx, "facts.py")).read(),
       "facts.py has the new entry and passes: " + r.stdout[-300:])
    r = add(tmp, binary, artifact(tmp, "epyc-9124-genoa-snp", prov), "epyc-9124-genoa-ci")
    ok(r.returncode == 64 and "exists already" in r.stderr, "a name in use is refused: %s" % r.stderr)
    shutil.rmtree(tmp)


def refusals(binary):
    tmp = scratch_tree()
    fx = os.path.join(tmp, "tests", "fixtures")
    facts_before = open(os.path.join(fx, "facts.py")).read()
    evil = os.path.join(tmp, "evil.zip")
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("epyc-01/proc/cpuinfo", "vendor_id : AuthenticAMD\n")
        z.writestr("epyc-01/../../escaped", "x")
    r = add(tmp, binary, evil, "evil-zip")
    ok(r.returncode == 65 and "leaves the snapshot" in r.stderr, "a zip leaving its directory: %s" % r.stderr)
    ok(not os.path.exists(os.path.join(tmp, "escaped")), "nothing escaped the zip")
    linked = os.path.join(tmp, "linked")
    shutil.copytree(os.path.join(TOP, "tests", "fixtures", "hosts", "epyc-7313-milan"), linked)
    os.symlink("/etc/shadow", os.path.join(linked, "proc", "cpuinfo2"))
    r = add(tmp, binary, linked, "linked")
    ok(r.returncode == 65 and "not a regular file" in r.stderr, "a symlink in a snapshot: %s" % r.stderr)
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    r = add(tmp, binary, empty, "empty")
    ok(r.returncode == 65 and "not a sevslot snapshot" in r.stderr, "not a snapshot: %s" % r.stderr)
    r = add(tmp, binary, empty, "Bad Name")
    ok(r.returncode == 64, "a bad name: %s" % r.stderr)
    for name in ("evil-zip", "linked", "empty"):
        ok(not os.path.exists(os.path.join(fx, "hosts", name)), "nothing written for %s" % name)
        ok(not os.path.exists(os.path.join(fx, "expected", name)), "no golden for %s" % name)
    ok(open(os.path.join(fx, "facts.py")).read() == facts_before, "facts.py untouched by refusals")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/sevslot")
    derived_facts_hold(load_tool(), binary)
    end_to_end(binary)
    refusals(binary)
    print("add-fixture: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
