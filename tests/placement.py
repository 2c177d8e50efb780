#!/usr/bin/env python3
"""sevslot's Placement inventory, proven against a real OpenStack Placement.

    tests/placement.py build/sevslot

Starts Debian's placement-api on 127.0.0.1 (a free port, a SQLite database in a
temporary directory, noauth2 through a config file, `placement-manage db sync`), then
publishes three recorded hosts with several models each through tools/placement-sync
(`sevslot inventory --format placement --host H | tools/placement-sync --create-root`),
and asks Placement what nova asks it, GET /allocation_candidates?resources=
MEM_ENCRYPTION_CONTEXT:1&required=<the model's trait>, claiming the first candidate
each time (PUT /allocations/<new consumer>) until none is left. Placement must hand out
exactly the slots sevslot published, per provider (total - reserved), each from a
provider of the model asked for; traits its os-traits lacks (HW_CPU_X86_AMD_SEV_ES,
_SNP) go out as CUSTOM_ names and the tool says so. Then a model limited to 0 loses its
provider: kept (and reported) while it still holds allocations, removed once they are
released. The server is killed on every way out. Where it cannot start (not installed,
db sync or start failing) the test prints one line saying so and skips. About 15 s,
most of it Placement's start.
"""
import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
HOSTS = os.path.join(TOP, "tests", "fixtures", "hosts")
SYNC = os.path.join(TOP, "tools", "placement-sync")
TRAIT = {"amd-sev": "HW_CPU_X86_AMD_SEV", "amd-sev-es": "HW_CPU_X86_AMD_SEV_ES",
         "amd-sev-snp": "HW_CPU_X86_AMD_SEV_SNP"}
SUFFIX = {"amd-sev": "_amd_sev", "amd-sev-es": "_amd_sev_es", "amd-sev-snp": "_amd_sev_snp"}

# Three hosts, several models each, with a config that keeps the claims few (each claim is
# two HTTP requests of ~40 ms) and exercises limit and reserved. Expected slots come from
# the fixtures' facts (FACTS.md; tests/fixtures/hosts/*/SOURCE.md) and the config.
SCENARIOS = [
    ("cmp-milan", "epyc-7313-milan",            # SEV 502, SEV-ES 7
     "[pool.sev]\nlimit = 6\nreserved = 1\n[pool.sev_es]\nreserved = 2\n",
     {"amd-sev": (6, 1), "amd-sev-es": (7, 2)}),
    ("cmp-genoa", "epyc-9124-genoa-snp",        # SEV 907, SNP on the shared 99
     "[pool.sev]\nlimit = 4\n[pool.sev_es]\nlimit = 9\nreserved = 3\n",
     {"amd-sev": (4, 0), "amd-sev-snp": (9, 3)}),
    ("cmp-turin", "epyc-9655-turin-cth",        # SEV 751, SNP's own 64 (ciphertext hiding)
     "[pool.sev]\nlimit = 3\n[pool.sev_snp]\nreserved = 60\n",
     {"amd-sev": (3, 0), "amd-sev-snp": (64, 60)}),
]


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """placement-api in its own session, killed (group and all) on every way out."""

    # A signal that arrives while Popen runs would leave a child nobody knows of: it waits.
    starting, pending = False, None

    @classmethod
    def on_signal(cls, sig, frame):
        if cls.starting:
            cls.pending = sig
        else:
            sys.exit(128 + sig)

    def __init__(self, tmp):
        self.tmp, self.proc = tmp, None
        self.log = os.path.join(tmp, "placement.log")

    def start(self):
        for tool in ("placement-api", "placement-manage"):
            if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode:
                raise Skip("no %s (Debian package placement-api; tools/install-deps installs it)"
                           % tool)
        conf = os.path.join(self.tmp, "placement.conf")
        with open(conf, "w") as f:
            f.write("[api]\nauth_strategy = noauth2\n[placement_database]\n"
                    "connection = sqlite:///%s/placement.db\n" % self.tmp)
        sync = subprocess.run(["placement-manage", "--config-file", conf, "db", "sync"],
                              capture_output=True, text=True, timeout=120)
        if sync.returncode != 0:
            raise Skip("placement-manage db sync failed: %s" % sync.stderr.strip().splitlines()[-1:])
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        # Its wsgi entry point reads only $OS_PLACEMENT_CONFIG_DIR/placement.conf (or /etc).
        env = dict(os.environ, OS_PLACEMENT_CONFIG_DIR=self.tmp)
        with open(self.log, "w") as log:
            Server.starting = True
            try:
                self.proc = subprocess.Popen(
                    ["placement-api", "--port", str(self.port), "--host", "127.0.0.1"],
                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            finally:
                Server.starting = False
            if Server.pending is not None:
                sys.exit(128 + Server.pending)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Skip("placement-api exited %d: %s" % (self.proc.returncode, self.tail()))
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).read()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise Skip("placement-api did not answer on %s within 60 s: %s" % (self.url, self.tail()))

    def tail(self):
        try:
            with open(self.log) as f:
                return " | ".join(f.read().strip().splitlines()[-3:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        req.add_header("X-Auth-Token", "admin")
        req.add_header("OpenStack-API-Version", "placement 1.36")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw, status = resp.read(), resp.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        return status, (json.loads(raw) if raw else None)


def publish(binary, server, tmp, host, fixture, config):
    """sevslot inventory | placement-sync; (sevslot's providers, the tool's JSON, its stderr)."""
    conf = os.path.join(tmp, host + ".conf")
    with open(conf, "w") as f:
        f.write(config)
    inv = subprocess.run([binary, "--sysroot", os.path.join(HOSTS, fixture), "--config", conf,
                          "--ledger", os.path.join(tmp, "none.db"), "inventory", "--format",
                          "placement", "--host", host], capture_output=True, text=True)
    if inv.returncode != 0:
        raise Fail("%s: sevslot inventory exited %d: %s" % (host, inv.returncode, inv.stderr))
    sync = subprocess.run([sys.executable, SYNC, "--url", server.url, "--create-root",
                           "--host", host], input=inv.stdout, capture_output=True, text=True)
    if sync.returncode != 0:
        raise Fail("%s: placement-sync exited %d: %s" % (host, sync.returncode, sync.stderr))
    return json.loads(inv.stdout)["providers"], json.loads(sync.stdout), sync.stderr


def claim_until_full(server, trait):
    """Claim one slot at a time as nova would; {provider uuid: slots handed out}."""
    got, consumers = {}, []
    for _ in range(1000):
        status, body = server.call("GET", "/allocation_candidates?resources="
                                   "MEM_ENCRYPTION_CONTEXT:1&required=" + trait)
        if status != 200:
            raise Fail("allocation_candidates for %s: HTTP %d %s" % (trait, status, body))
        if not body["allocation_requests"]:
            return got, consumers
        alloc = body["allocation_requests"][0]["allocations"]
        consumer = str(uuid.uuid4())
        status, err = server.call("PUT", "/allocations/" + consumer, {
            "allocations": alloc, "project_id": str(uuid.uuid4()),
            "user_id": str(uuid.uuid4()), "consumer_generation": None})
        if status != 204:
            raise Fail("claim for %s: HTTP %d %s" % (trait, status, err))
        for rp, a in alloc.items():
            got[rp] = got.get(rp, 0) + a["resources"]["MEM_ENCRYPTION_CONTEXT"]
        consumers.append((consumer, list(alloc)))
    raise Fail("%s: still handing out slots after 1000 claims" % trait)


def check(binary, server, tmp):
    published, synced, traits = {}, {}, {}
    for host, fixture, config, want in SCENARIOS:
        providers, result, notes = publish(binary, server, tmp, host, fixture, config)
        got = {p["name"]: (p["inventories"]["MEM_ENCRYPTION_CONTEXT"]["total"],
                           p["inventories"]["MEM_ENCRYPTION_CONTEXT"]["reserved"])
               for p in providers}
        expect = {host + SUFFIX[m]: tr for m, tr in want.items()}
        if got != expect:
            raise Fail("%s: sevslot published %s, the fixture and config call for %s"
                       % (host, got, expect))
        for p in result["providers"]:
            synced[p["uuid"]] = p
            published[p["uuid"]] = got[p["name"]][0] - got[p["name"]][1]
        traits.update(result["traits"])
        for model in want:
            t = TRAIT[model]
            if result["traits"].get(t) not in (t, "CUSTOM_" + t):
                raise Fail("%s: trait %s published as %s" % (host, t, result["traits"].get(t)))
            if result["traits"][t] != t and ("published CUSTOM_" + t) not in notes:
                raise Fail("%s: placement-sync did not say what it did about %s: %r"
                           % (host, t, notes))
    # Placement's os-traits knows the SEV trait: it must be published under its own name.
    if traits["HW_CPU_X86_AMD_SEV"] != "HW_CPU_X86_AMD_SEV":
        raise Fail("HW_CPU_X86_AMD_SEV published as %s" % traits["HW_CPU_X86_AMD_SEV"])

    claims = {}
    for model, t in TRAIT.items():
        got, consumers = claim_until_full(server, traits[t])
        claims[model] = consumers
        for rp, n in got.items():
            if traits[t] not in synced[rp]["traits"]:
                raise Fail("a %s claim drew on %s, a provider without %s"
                           % (model, synced[rp]["name"], traits[t]))
        want = {rp: n for rp, n in published.items() if traits[t] in synced[rp]["traits"]}
        if got != want:
            names = lambda d: {synced[k]["name"]: v for k, v in d.items()}
            raise Fail("%s: Placement handed out %s, sevslot published %s"
                       % (model, names(got), names(want)))
    for rp, n in published.items():
        status, body = server.call("GET", "/resource_providers/%s/usages" % rp)
        if body["usages"].get("MEM_ENCRYPTION_CONTEXT", 0) != n:
            raise Fail("%s: usage %s, published %d" % (synced[rp]["name"], body["usages"], n))

    # Milan's SEV-ES limited to 0: its provider goes, once its allocations are released.
    host, fixture, config, _ = SCENARIOS[0]
    gone = "[pool.sev]\nlimit = 6\nreserved = 1\n[pool.sev_es]\nlimit = 0\n"
    providers, result, notes = publish(binary, server, tmp, host, fixture, gone)
    if [p["name"] for p in providers] != [host + "_amd_sev"] or result["removed"]:
        raise Fail("limit 0: published %s, removed %s" % (
            [p["name"] for p in providers], result["removed"]))
    if "cmp-milan_amd_sev_es is no longer in sevslot's inventory but still holds" not in notes:
        raise Fail("a provider holding allocations was not reported: %r" % notes)
    es = [c for c, rps in claims["amd-sev-es"] if any(
        synced[rp]["name"] == host + "_amd_sev_es" for rp in rps)]
    for consumer in es:
        server.call("DELETE", "/allocations/" + consumer)
    providers, result, notes = publish(binary, server, tmp, host, fixture, gone)
    if result["removed"] != [host + "_amd_sev_es"]:
        raise Fail("released, the SEV-ES provider was not removed: %s %r" % (result, notes))
    status, body = server.call("GET", "/resource_providers?name=%s_amd_sev_es" % host)
    if body["resource_providers"]:
        raise Fail("cmp-milan_amd_sev_es is still in Placement")
    return sum(published.values()), len(published)


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/sevslot")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sevslot-placement-") as tmp:
        server = Server(tmp)
        atexit.register(server.stop)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, Server.on_signal)
        try:
            server.start()
            slots, providers = check(binary, server, tmp)
        except Skip as e:
            print("placement: SKIP: %s" % e)
            return 0
        except Fail as e:
            print("FAIL placement: %s" % e)
            print("placement: the server's log ends: %s" % server.tail())
            return 1
        finally:
            server.stop()
    print("placement: %d providers on 3 hosts, %d slots handed out exactly as published "
          "(%.1f s)" % (providers, slots, time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
