#!/usr/bin/env python3
"""Peak memory and time of partnerctl on the recursion and memory attacks of
tests/hostile/memory.rs (SPEC §9 "Limits"), each measured with /usr/bin/time -v on a copy
of examples/northwind that the attack edits, without an address-space limit (so that what
is measured is what the run takes, not where a limit stopped it). The table goes to
stdout and docs/security.md quotes it.

    python3 bench/attacks.py --bin target/release/partnerctl > bench/results/attacks.md
"""

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time

AS_OF = "2026-11-01"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def edit(d, f, old, new):
    p = os.path.join(d, f)
    s = open(p).read()
    assert old in s, (f, old)
    open(p, "w").write(s.replace(old, new, 1))


def write(d, f, text):
    p = os.path.join(d, f)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text)


def schema(d, schemas, param):
    edit(d, "apis/shipments.yaml", "  schemas:\n", "  schemas:\n" + schemas)
    edit(d, "apis/shipments.yaml", "        - name: cursor\n",
         f"        - name: loop\n          in: query\n          schema: {param}\n        - name: cursor\n")


def template(d, name, text):
    write(d, f"templates/{name}", text)
    edit(d, "program.yaml", "  outputs:\n", f"  outputs:\n    - {{template: templates/{name}, path: dist/{name}.out}}\n")


def policy(d, expr):
    write(d, "policies/big.rego", f"package northwind.big\n\nimport rego.v1\n\ndeny contains \"big\" if {{\n\t{expr}\n}}\n")


def fan(d):
    write(d, "apis/big.yaml", 'S: {type: string, example: "' + "x" * (1 << 20) + '"}\n')
    s = 'L0: {$ref: "big.yaml#/S"}\n'
    for i in range(1, 14):
        s += f'L{i}: {{type: object, properties: {{a: {{$ref: "#/L{i-1}"}}, b: {{$ref: "#/L{i-1}"}}}}}}\n'
    write(d, "apis/fan.yaml", s)
    schema(d, "", '{$ref: "fan.yaml#/L13"}')


def rollup(d):
    big, half = 18446744073709551615, 9223372036854775808
    lines = [
        f'{{"day": "2026-10-21", "credential": "caribe-prd-1", "environment": "production", "calls": {big}, "status4xx": {big}, "status401": 1, "status403": {big}}}',
        f'{{"day": "2026-10-22", "credential": "caribe-prd-1", "environment": "production", "calls": {half}, "status4xx": {half}, "status403": {half}}}',
        f'{{"day": "2026-10-23", "credential": "caribe-prd-1", "environment": "production", "calls": {half}, "status4xx": {half}, "status403": {half}}}',
    ]
    write(d, "wrap.jsonl", "\n".join(lines) + "\n")


REPEAT = '{% set a = "x" * 100000 %}'
ATTACKS = [
    ("the example, unchanged", None, ["validate"]),
    ("the example, unchanged", None, ["render"]),
    ("the example, unchanged", None, ["plan"]),
    ("recursive schema `Loop: {type: array, items: {$ref: Loop}}` in a parameter", lambda d: schema(d, '    Loop:\n      type: array\n      items: {$ref: "#/components/schemas/Loop"}\n', '{$ref: "#/components/schemas/Loop"}'), ["plan"]),
    ("recursive schema `Loop: {type: array, items: {$ref: Loop}}` in a parameter", lambda d: schema(d, '    Loop:\n      type: array\n      items: {$ref: "#/components/schemas/Loop"}\n', '{$ref: "#/components/schemas/Loop"}'), ["render"]),
    ("`Loop: {$ref: Loop}`", lambda d: schema(d, '    Loop: {$ref: "#/components/schemas/Loop"}\n', '{$ref: "#/components/schemas/Loop"}'), ["plan"]),
    ("two files fanning a 1 MB string out 2^13 times (8 GB inlined)", fan, ["validate"]),
    ("template `([a] * 100000)|join` of a 100 kB string (10 GB)", lambda d: template(d, "join.txt.j2", REPEAT + "{{ ([a] * 100000)|join }}\n"), ["render"]),
    ("template `'%s'|format([a] * 100000)`", lambda d: template(d, "fmt.txt.j2", REPEAT + "{{ '%s'|format([a] * 100000) }}\n"), ["render"]),
    ("template `'' ~ ([a] * 100000)`", lambda d: template(d, "tilde.txt.j2", REPEAT + "{{ '' ~ ([a] * 100000) }}\n"), ["render"]),
    ("Rego `count(numbers.range(1, 200000000))`", lambda d: policy(d, "count(numbers.range(1, 200000000)) > 0"), ["validate"]),
    ("Rego `sprintf(\"%999999999d\", [1])`", lambda d: policy(d, 'count(sprintf("%999999999d", [1])) > 0'), ["validate"]),
    ("Rego `concat` of 100,000 copies of a 100 kB string", lambda d: policy(d, 'count(concat("", [s | some i in numbers.range(1, 100000); s := concat("", ["x" | some j in numbers.range(1, 100000)])])) > 0'), ["validate"]),
    ("Rego comprehension over two ranges of 20,000", lambda d: policy(d, "count([[a, b] | some a in numbers.range(1, 20000); some b in numbers.range(1, 20000)]) > 0"), ["validate"]),
    ("rollup counts that wrap u64", rollup, ["funnel", "--usage", "{dir}/wrap.jsonl"]),
]


def measure(binary, args, d, limit):
    args = [a.replace("{dir}", d) for a in args]
    out = os.path.join(d, ".time.txt")
    cmd = ["/usr/bin/time", "-v", "-o", out, binary, *args, "-C", d, "--as-of", AS_OF]
    env = dict(os.environ, NO_COLOR="1")
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=limit, env=env)
        code = p.returncode
        text = (p.stdout + p.stderr).decode(errors="replace")
    except subprocess.TimeoutExpired:
        return ("timeout", "-", f"> {limit} s", "")
    t = open(out).read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    codes = sorted(set(re.findall(r"error\[([a-z-]+)\]", text)))
    return (str(code), f"{rss / 1024:.0f} MiB", wall, ", ".join(codes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    a = ap.parse_args()
    print("| attack | command | exit | findings | peak memory | wall |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, apply, args in ATTACKS:
        with tempfile.TemporaryDirectory() as d:
            shutil.copytree(os.path.join(ROOT, "examples/northwind"), d, dirs_exist_ok=True)
            if apply:
                apply(d)
            code, rss, wall, codes = measure(os.path.abspath(a.bin), args, d, a.timeout)
            print(f"| {label} | `{args[0]}` | {code} | {codes} | {rss} | {wall} |", flush=True)


if __name__ == "__main__":
    main()
