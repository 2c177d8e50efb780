#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The CI files: valid YAML a reviewer reads in a minute, saying what the
issue asks of them; and the sevslot-slot action's script run for real against
a recorded host, as jobs on shared runners would run it.
    python3 tests/workflows.py build/sevslot
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL " + what)


def load(path):
    with open(path) as f:
        text = f.read()
    # Short enough to read in a minute.
    ok(len(text.splitlines()) <= 70, "%s: %d lines, more than 70" % (path, len(text.splitlines())))
    return yaml.safe_load(text)


def steps_of(job):
    steps = job.get("steps", [])
    for s in steps:
        ok(("run" in s) != ("uses" in s), "a step has exactly one of run and uses: %r" % s)
        if s.get("uses", "").startswith("./"):
            ok(os.path.exists(os.path.join(s["uses"], "action.yml")), "%s exists" % s["uses"])
    return steps


def runs(steps):
    return [s.get("run", "") for s in steps]


def workflows():
    ci = load(".github/workflows/ci.yml")
    # PyYAML reads the key `on` as YAML 1.1's boolean true.
    ok(ci.get("on", ci.get(True)) is not None, "ci.yml has triggers")
    check = ci["jobs"]["check"]
    ok(sorted(leg["cc"] for leg in check["strategy"]["matrix"]["include"]) == ["clang", "gcc"],
       "ci.yml builds with gcc and clang")
    ok(check["container"]["image"] == "debian:12", "ci.yml runs on Debian 12")
    ok(any("make check CC=${{ matrix.cc }} " in r for r in runs(steps_of(check))),
       "ci.yml runs make check with the matrix compiler")
    release = runs(steps_of(ci["jobs"]["release"]))
    ok(any("make distcheck" in r for r in release), "ci.yml runs make distcheck")
    ok(any("make check-bare" in r for r in release), "ci.yml runs make check-bare")

    hw = load(".github/workflows/hardware.yml")
    job = hw["jobs"]["epyc"]
    ok(job["runs-on"] == ["self-hosted", "linux", "x64", "amd-sev"], "hardware.yml runs on the EPYC runners")
    steps = steps_of(job)
    text = runs(steps)
    at = lambda needle: next((i for i, r in enumerate(text) if needle in r), -1)
    ok(at("make check") >= 0, "hardware.yml runs make check")
    ok(at("sudo make check-hw") >= 0, "hardware.yml runs sudo make check-hw")
    ok(at("sudo build/sevslot snapshot") >= 0, "hardware.yml takes a snapshot")
    slots = [i for i, s in enumerate(steps) if s.get("uses") == "./.github/actions/sevslot-slot"]
    ok(len(slots) == 2, "hardware.yml allocates and releases a slot")
    if len(slots) == 2:
        ok(slots[0] < at("sudo make check-hw") < slots[1], "check-hw runs while the job holds its slot")
        rel = steps[slots[1]]
        ok(rel.get("if") == "always()" and str(rel["with"]["release"]).lower() == "true",
           "the slot is released in an always() step")
    up = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    ok(len(up) == 1 and up[0]["with"]["path"] == "snapshot/", "hardware.yml uploads the snapshot")

    act = load(".github/actions/sevslot-slot/action.yml")
    ok(act["runs"]["using"] == "composite", "sevslot-slot is a composite action")
    ok(sorted(act["outputs"]) == ["consumer", "model", "pool", "slot"], "sevslot-slot outputs")
    for name, out in act["outputs"].items():
        ok(out["value"] == "${{ steps.slot.outputs.%s }}" % name, "output %s comes from the slot step" % name)
    ok(sorted(act["inputs"]) == ["model", "release", "sevslot", "wait-minutes"], "sevslot-slot inputs")
    ok(os.access(".github/actions/sevslot-slot/slot.sh", os.X_OK), "slot.sh is executable")


def slot_action(binary):
    """Jobs on runners sharing one ledger: a 2-slot pool (limit = 2)."""
    tmp = tempfile.mkdtemp()
    conf = os.path.join(tmp, "sevslot.conf")
    with open(conf, "w") as f:
        f.write("[pool.sev]\nlimit = 2\n")
    ledger = os.path.join(tmp, "ledger.db")

    def job(runner, run_id, release=False, host="epyc-7313-milan", model="amd-sev"):
        out = os.path.join(tmp, "out-%s-%s" % (runner, run_id))
        open(out, "w").close()
        env = dict(os.environ, RUNNER_NAME=runner, GITHUB_RUN_ID=str(run_id), GITHUB_RUN_ATTEMPT="1",
                   GITHUB_JOB="epyc", GITHUB_OUTPUT=out, MODEL=model, WAIT_MINUTES="0",
                   RELEASE="true" if release else "false",
                   SEVSLOT="%s --sysroot tests/fixtures/hosts/%s --ledger %s --config %s"
                   % (os.path.abspath(binary), host, ledger, conf))
        r = subprocess.run([".github/actions/sevslot-slot/slot.sh"], env=env, capture_output=True, text=True)
        with open(out) as f:
            outputs = dict(line.split("=", 1) for line in f.read().splitlines())
        return r.returncode, r.stdout + r.stderr, outputs

    def holders():
        r = subprocess.run([binary, "--sysroot", "tests/fixtures/hosts/epyc-7313-milan", "--ledger", ledger,
                            "--config", conf, "list", "--json"], capture_output=True, text=True)
        return {a["consumer"]: a["slot"] for a in json.loads(r.stdout)["allocations"]}

    code, log, out = job("r1", 100)
    ok(code == 0 and out == {"slot": "0", "model": "amd-sev", "pool": "sev", "consumer": "gha-r1-100-1-epyc"},
       "first job gets slot 0: %d %s %r" % (code, log, out))
    code, log, out = job("r2", 101)
    ok(code == 0 and out.get("slot") == "1", "a job on another runner gets slot 1: %s" % log)
    code, log, out = job("r3", 102)
    ok(code == 75 and "no free amd-sev slot" in log and out == {},
       "a third job finds the pool full and gets no slot: %d %s" % (code, log))
    code, log, _ = job("r1", 100, release=True)
    ok(code == 0, "release: %s" % log)
    code, log, out = job("r3", 102)
    ok(code == 0 and out.get("slot") == "0", "the freed slot goes to the waiting job: %s" % log)
    # Runner r2's job died before its release step; r2's next job gives it back.
    code, log, out = job("r2", 103)
    ok(code == 0 and "releasing gha-r2-101-1-epyc" in log and out.get("slot") == "1",
       "a slot left by a dead job on the same runner is released first: %s" % log)
    ok(holders() == {"gha-r3-102-1-epyc": 0, "gha-r2-103-1-epyc": 1}, "ledger: %r" % holders())
    code, log, _ = job("r9", 104, model="amd-sev-snp")
    ok(code == 69, "a model the runner cannot run fails (69): %d %s" % (code, log))
    code, log, _ = job("r9", 105, host="intel-host")
    ok(code == 69 and "cannot run SEV guests" in log, "a runner without SEV fails (69): %d %s" % (code, log))
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    workflows()
    slot_action(sys.argv[1] if len(sys.argv) > 1 else "build/sevslot")
    print("workflows: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
