"""Run under rigup-exec by e2e/nix_test.go: parse each rendered file of
nix/tests/roundtrip.nix with a real parser (jq, PyYAML, tomllib) and compare
it with the data it was serialized from, each reference replaced by its
value from the plaintext secrets file.

usage: check_roundtrip.py DATA.json SECRETS.toml
"""
import json
import os
import re
import subprocess
import sys
import tomllib

import yaml

data = json.load(open(sys.argv[1], encoding="utf-8"))
with open(sys.argv[2], "rb") as f:
    secrets = tomllib.load(f)

# builtins.toJSON writes a reference as its placeholder text.
PLACEHOLDER = re.compile(r"\{\{secrets\.([A-Za-z0-9_.-]+)\}\}")


def value(path):
    v = secrets
    for key in path.split("."):
        v = v[key]
    return v if isinstance(v, str) else json.dumps(v)


def resolve(v):
    if isinstance(v, str):
        return PLACEHOLDER.sub(lambda m: value(m.group(1)), v)
    if isinstance(v, list):
        return [resolve(x) for x in v]
    if isinstance(v, dict):
        return {k: resolve(x) for k, x in v.items()}
    return v


def jq(path):
    out = subprocess.run(["jq", "-c", ".", path], check=True, capture_output=True).stdout
    return json.loads(out)


def toml(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def yml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


parsers = {"json": jq, "yaml": yml, "toml": toml}
root = os.environ["XDG_CONFIG_HOME"]
checked = 0
for fmt, parse in parsers.items():
    want = resolve(data[fmt])
    for name in sorted(os.listdir(os.path.join(root, fmt))):
        path = os.path.join(root, fmt, name)
        got = parse(path)
        if got != want:
            print(f"{fmt}/{name}: parsed\n{got!r}\nwant\n{want!r}", file=sys.stderr)
            sys.exit(1)
        checked += 1
print(f"{checked} files match their data")
