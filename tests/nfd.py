#!/usr/bin/env python3
"""sevslot's Node Feature Discovery file, checked the way NFD reads it.

    tests/nfd.py build/sevslot

For every fixture host, `sevslot inventory --format nfd` is parsed line by line as
NFD's local feature source parses a features.d file, by the rules NFD documents
(docs/usage/customization-guide.md, "Local feature source") and implements
(source/local/local.go: `# +` directives expiry-time, no-label, no-feature, each for
the next feature only; `<key>[=<value>]`, value "true" when absent; at most 64 kB).
Every label must then pass nfd-master's label validation (pkg/apis/nfd/validate:
a qualified name with a prefix, a namespace NFD allows, a valid label value), and
every count a Kubernetes quantity. README's NodeFeatureRule is evaluated against the
features as nfd-master does (matchFeatures over local.feature, `@domain.feature.element`
values split on the first two dots) and must give each host the extended resources its
usable models' pools call for: SEV-SNP its own pool where ciphertext hiding splits it.
Exits 1 on the first host that fails, naming the line.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
HOSTS = os.path.join(TOP, "tests", "fixtures", "hosts")
README = os.path.join(TOP, "README.md")

MAX_FILE = 65536                      # source/local/local.go MaxFeatureFileSize
DIRECTIVES = ("expiry-time", "no-label", "no-feature")
# k8s.io/apimachinery/pkg/util/validation: qualified names and label values
NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+$")    # what a slot count must be: a plain integer quantity


class Bad(Exception):
    pass


def qualified_name(key):
    """k8s IsQualifiedName, plus NFD's rule that a label has an allowed prefix."""
    if "/" not in key:
        raise Bad("label %r has no namespace: NFD requires <namespace>/<name>" % key)
    prefix, name = key.split("/", 1)
    if not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix):
        raise Bad("label %r: prefix %r is not a DNS subdomain" % (key, prefix))
    if len(name) > 63 or not NAME.match(name):
        raise Bad("label %r: name %r is not a qualified name" % (key, name))
    if (prefix == "kubernetes.io" or prefix.endswith(".kubernetes.io")) and not (
            prefix == "feature.node.kubernetes.io" or prefix.endswith(".feature.node.kubernetes.io")):
        raise Bad("label %r: namespace %r is not allowed" % (key, prefix))


def parse(text):
    """(labels, features) as NFD's local source builds them; raises Bad naming the line."""
    if len(text.encode()) > MAX_FILE:
        raise Bad("%d bytes: NFD ignores a feature file over %d" % (len(text.encode()), MAX_FILE))
    if not text.endswith("\n"):
        raise Bad("the file does not end in a newline")
    labels, features = {}, {}
    no_label = no_feature = False
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, line)
        if line != line.strip():
            raise Bad("%s: leading or trailing white space" % where)
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("# +"):
                key = line[3:].split("=", 1)[0]
                if key not in DIRECTIVES:
                    raise Bad("%s: unknown directive (NFD knows %s)" % (where, ", ".join(DIRECTIVES)))
                no_label |= key == "no-label"
                no_feature |= key == "no-feature"
            continue
        key, _, value = line.partition("=")
        value = value if "=" in line else "true"
        if not key:
            raise Bad("%s: no key" % where)
        if key in labels or key in features:
            raise Bad("%s: %s given twice" % (where, key))
        if not no_label:
            qualified_name(key)
            if len(value) > 63 or not LABEL_VALUE.match(value):
                raise Bad("%s: %r is not a label value" % (where, value))
            labels[key] = value
        if not no_feature:
            features[key] = value
        no_label = no_feature = False
    if no_label or no_feature:
        raise Bad("a directive at the end applies to no feature")
    return labels, features


def readme_rule():
    text = open(README).read()
    m = re.search(r"<!-- nfd-rule:begin -->\n```yaml\n(.*?)```\n<!-- nfd-rule:end -->", text, re.S)
    if m is None:
        raise Bad("README has no NodeFeatureRule between nfd-rule markers")
    rule = yaml.safe_load(m.group(1))
    if rule.get("apiVersion") != "nfd.k8s-sigs.io/v1alpha1" or rule.get("kind") != "NodeFeatureRule":
        raise Bad("README's rule is not an nfd.k8s-sigs.io/v1alpha1 NodeFeatureRule")
    return rule


def matches(term, features):
    if term["feature"] != "local.feature":
        raise Bad("README's rule matches %s; only local.feature comes from sevslot" % term["feature"])
    for key, expr in term["matchExpressions"].items():
        op = expr["op"]
        if op == "Exists":
            ok = key in features
        elif op == "IsTrue":
            ok = features.get(key) == "true"
        elif op == "In":
            ok = features.get(key) in expr["value"]
        else:
            raise Bad("op %s: add it to tests/nfd.py" % op)
        if not ok:
            return False
    return True


def dynamic(value, features):
    """nfd-master's getDynamicValue: '@domain.feature.element', split on the first two dots."""
    if not value.startswith("@"):
        return value
    domain, feature, element = value[1:].split(".", 2)
    if (domain, feature) != ("local", "feature"):
        raise Bad("%s: only @local.feature.* comes from sevslot" % value)
    if element not in features:
        raise Bad("%s: no feature %r in the file" % (value, element))
    return features[element]


def apply_rule(rule, features):
    """Extended resources and labels the rule gives a node with these features."""
    resources, labels = {}, {}
    for r in rule["spec"]["rules"]:
        if not all(matches(t, features) for t in r["matchFeatures"]):
            continue
        for name, value in r.get("extendedResources", {}).items():
            qualified_name(name)
            v = dynamic(value, features)
            if not QUANTITY.match(v):
                raise Bad("extended resource %s = %r is not a quantity" % (name, v))
            if name in resources:
                raise Bad("two rules set %s" % name)
            resources[name] = int(v)
        for name, value in r.get("labels", {}).items():
            qualified_name(name)
            labels[name] = value
    return resources, labels


def expected(probe, limits):
    """What each usable model's pool offers, from the probe: capped and less reserved."""
    names = {"amd-sev": "sev.amd.com/asids", "amd-sev-es": "sev-es.amd.com/esids",
             "amd-sev-snp": "sev-snp.amd.com/esids"}
    out = {}
    for model, info in probe["models"].items():
        if info["usable"]:
            cap = probe["pools"][info["pool"]]["capacity"]
            limit, reserved = limits.get(info["pool"], (None, 0))
            out[names[model]] = (cap if limit is None else min(cap, limit)) - reserved
    return out


def run(binary, host, config, *args, ok=(0,)):
    p = subprocess.run([binary, "--sysroot", host, "--config", config, "--ledger",
                        os.path.join(os.path.dirname(config), "none.db")] + list(args),
                       capture_output=True, text=True)
    if p.returncode not in ok:
        raise Bad("%s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def check(binary, host, config, limits):
    text = run(binary, host, config, "inventory", "--format", "nfd")
    probe = json.loads(run(binary, host, config, "probe", "--json", ok=(0, 69)))
    labels, features = parse(text)
    for model, suffix in (("amd-sev", "sev"), ("amd-sev-es", "sev.es"), ("amd-sev-snp", "sev.snp")):
        key = "feature.node.kubernetes.io/cpu-security.%s.enabled" % suffix
        want = "true" if probe["models"][model]["usable"] else "false"
        if labels.get(key) != want:
            raise Bad("%s=%s, the probe says %s" % (key, labels.get(key), want))
    resources, rule_labels = apply_rule(readme_rule(), features)
    want = expected(probe, limits)
    if resources != want:
        raise Bad("README's rule gives %s, the pools call for %s" % (resources, want))
    snp = probe["models"]["amd-sev-snp"]
    if snp["usable"] and rule_labels.get("amd.feature.node.kubernetes.io/snp") != "true":
        raise Bad("no amd.feature.node.kubernetes.io/snp label for Kata's SNP RuntimeClass")
    return resources


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/sevslot"
    failed = passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain.conf")
        limited = os.path.join(tmp, "limited.conf")
        open(plain, "w").close()
        with open(limited, "w") as f:
            f.write("[pool.sev]\nlimit = 100\nreserved = 2\n")
        for name in sorted(os.listdir(HOSTS)):
            host = os.path.join(HOSTS, name)
            try:
                got = check(binary, host, plain, {})
                if "sev.amd.com/asids" in got:
                    check(binary, host, limited, {"sev": (100, 2)})
                passed += 1
            except Bad as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
        # The split: SNP's own 64 slots, never the 255 of the whole SEV-ES range.
        try:
            cth = check(binary, os.path.join(HOSTS, "epyc-9655-turin-cth"), plain, {})
            if cth.get("sev-snp.amd.com/esids") != 64:
                raise Bad("sev-snp.amd.com/esids %s, want 64" % cth.get("sev-snp.amd.com/esids"))
        except Bad as e:
            print("FAIL epyc-9655-turin-cth: %s" % e)
            failed += 1
    print("nfd: %d hosts passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
