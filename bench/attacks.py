#!/usr/bin/env python3
"""Every attack of tests/hostile/ (SPEC §9, §16; docs/security.md), run as a CI job runs it
on a pull request, each command under /usr/bin/time -v: exit code, the findings it printed,
peak memory, wall time, and whether the attack was refused or neutralised, decided from what
the run printed and wrote (the finding the attack must meet, the token absent from every
output, no workflow command on any line, the reviews not enough).

Each attack is a copy of examples/northwind that the attacker has edited. Where CI needs git
(`plan --merge-base`, `approvals`), the example is committed on `main` and the pull request's
change on a branch checked out over it, as actions/checkout leaves a pull request. The runs
have no address-space limit (so that what is measured is what a run takes, not where a limit
stopped it), except the rows marked `ulimit -v 2097152`, where the limit is set inside the
process /usr/bin/time measures. Standard-library Python only. The table goes to stdout and
docs/security.md quotes it.

    python3 bench/attacks.py --bin target/release/partnerctl > bench/results/attacks.md
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

AS_OF = "2026-11-01"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Address space of the limited rows, KiB (what CI runners and containers often impose).
ADDRESS_SPACE_KIB = 2097152
# A run's peak resident memory must stay under this (the bound), KiB.
PEAK_LIMIT_KIB = 1 << 20
# The token actions/checkout can leave in .git/config.
GIT_TOKEN = "SECRETTOKEN"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}


# --- editing a copy of the example -------------------------------------------------------

def read(d, f):
    with open(os.path.join(d, f), encoding="utf-8") as h:
        return h.read()


def edit(d, f, old, new):
    s = read(d, f)
    assert s.count(old) == 1, (f, old)
    write(d, f, s.replace(old, new, 1))


def write(d, f, text):
    p = os.path.join(d, f)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w", encoding="utf-8") as h:
        h.write(text)


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
    line = '{{"day": "2026-10-{day}", "credential": "caribe-prd-1", "environment": "production", "calls": {n}, "status4xx": {n}, {extra}"status403": {n}}}'
    write(d, "wrap.jsonl", "\n".join([
        line.format(day=21, n=big, extra='"status401": 1, '),
        line.format(day=22, n=half, extra=""),
        line.format(day=23, n=half, extra=""),
        line.format(day=24, n=1, extra=""),
    ]) + "\n")


def raise_limit(d):
    edit(d, "products/shipments.yaml", "rateLimit: {requests: 250, per: second}", "rateLimit: {requests: 5000, per: second}")


def add_friends_team(d):
    edit(d, "program.yaml", '    rates-team: {github: "@northwind/rates"}\n',
         '    rates-team: {github: "@northwind/rates"}\n    shipments-ops: {github: "@northwind/mallory-friends"}\n')


def new_product(d, name, endpoints, route=None):
    """A product made from shipments.yaml: NAME, listing ENDPOINTS, routed in ROUTE."""
    s = read(d, "products/shipments.yaml")
    if route:
        s = s.replace("route: {name: shipments, namespace: northwind}", route)
    s = s.replace("name: shipments", f"name: {name}").replace("openapi: apis/shipments.yaml", f"endpoints: {endpoints}")
    return s


def ghp(tag):
    return "ghp_" + (tag + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9")[:36]


SECRETS = [ghp("RefQuery"), "sk_live_RefBare4eC39HqLyjWDarjtT1zdp7dc", "RefUserinfoPw9x", ghp("Upstream")]


def secret_refs(d):
    query, bare, userinfo, upstream = SECRETS
    edit(d, "partners/emea/acme-logistics.yaml", 'secretRef: "vault://partners/acme-logistics/acme-prd-1"',
         f'secretRef: "vault://partners/acme-logistics/acme-prd-1?token={query}"')
    edit(d, "partners/emea/acme-logistics.yaml", 'secretRef: "vault://partners/acme-logistics/acme-sbx-2"',
         f'secretRef: "https://admin:{userinfo}@vault.northwind.example/acme-sbx-2"')
    edit(d, "partners/caribe-shipping.yaml", 'secretRef: "vault://partners/caribe-shipping/caribe-prd-1"', f'secretRef: "{bare}"')
    edit(d, "products/tracking.yaml", 'production: {upstream: "https://tracking.internal"',
         f'production: {{upstream: "https://tracking.internal/?key={upstream}"')


def noisy_policy(d):
    write(d, "policies/noisy.rego",
          "package northwind.noisy\n\nimport rego.v1\n\nwarn contains msg if {\n  print(\"::stop-commands::tok\")\n"
          "  print(\"x\\n::add-mask::x\\r##[error]fake\")\n  false\n  msg := \"never\"\n}\n")


MISPLACED = ["partner/sahara-express.yaml", "Partners/sahara-express.yaml", "partners-new/emea/sahara-express.yml", "sahara-express.yaml"]


def misplaced(d):
    partner = read(d, "partners/emea/sahara-express.yaml").replace("displayName: Sahara Express", "displayName: Sahara Express Ltd")
    for place in MISPLACED:
        write(d, place, partner)


def loosen(d):
    edit(d, "program.yaml", "  activeWithinDays: 30\n",
         "  activeWithinDays: 30\n  exceptionsMaxDays: 3650\n"
         "  policies:\n    beta-not-in-production: {enabled: false}\n    max-live-keys: {enabled: false}\n"
         "    production-quota: {enabled: false}\n")
    write(d, "policies/lenient.rego", "package northwind.lenient\n\nimport rego.v1\n\nwarn contains \"nothing\" if false\n")


def broken_plan(d):
    edit(d, "partners/caribe-shipping.yaml", "    - {product: tracking, plan: starter, environment: sandbox}\n",
         "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n")
    edit(d, "products/rates.yaml", "lifecycle: beta", "lifecycle: betaa")


def collide(d):
    edit(d, "products/tracking.yaml", "    - name: enterprise\n",
         "    - name: std-eu\n      rateLimit: {requests: 10, per: second}\n      environments: [production]\n    - name: enterprise\n")
    s = new_product(d, "tracking-std", '[{method: GET, path: "/v1/tracking-std/{id}"}]',
                    "route: {name: tracking-std, namespace: northwind}")
    write(d, "products/tracking-std.yaml", s.replace("- name: enterprise", "- name: eu"))


def many_operations(d, operations):
    """OPERATIONS more operations in the rates description (about 107 bytes each)."""
    doc = json.loads(read(d, "apis/rates.json"))
    for i in range(operations):
        doc["paths"][f"/v1/rates/op{i}"] = {"get": {"summary": f"Operation {i}", "responses": {"200": {"description": "ok"}}}}
    write(d, "apis/rates.json", json.dumps(doc))


def example_fan_out(d, operations, per_tag, mib=2):
    """One example of MIB MiB in the rates description's components, shown by `$ref` in the
    response of each of OPERATIONS operations, PER_TAG operations a tag (a page of the
    reference each): a description of MIB MiB that the reference writes OPERATIONS times."""
    doc = json.loads(read(d, "apis/rates.json"))
    doc.setdefault("components", {}).setdefault("examples", {})["Big"] = {"value": "x" * (mib << 20)}
    for i in range(operations):
        content = {"application/json": {"examples": {"big": {"$ref": "#/components/examples/Big"}}}}
        doc["paths"][f"/v1/rates/e{i}"] = {"get": {"tags": [f"t{i // per_tag}"], "responses": {"200": {"description": "ok", "content": content}}}}
    write(d, "apis/rates.json", json.dumps(doc))


# --- running -----------------------------------------------------------------------------

class Run:
    def __init__(self, code, rss_kib, wall, out, err, ended):
        self.code, self.rss_kib, self.wall, self.out, self.err, self.ended = code, rss_kib, wall, out, err, ended

    @property
    def all(self):
        return self.out + self.err


def timed(binary, args, d, limit, ulimit=False):
    """BINARY ARGS -C D --as-of AS_OF under /usr/bin/time -v (and `ulimit -v` inside what it
    measures): the process group is killed at LIMIT seconds."""
    tf = os.path.join(os.path.dirname(d), "time.txt")
    tail = [*args, "-C", d, "--as-of", AS_OF]
    if ulimit:
        inner = ["bash", "-c", f'ulimit -v {ADDRESS_SPACE_KIB} || exit 99; exec "$0" "$@"', binary, *tail]
    else:
        inner = [binary, *tail]
    env = dict(os.environ, NO_COLOR="1", **GIT_ENV)
    env.pop("GITHUB_ACTIONS", None)
    p = subprocess.Popen(["/usr/bin/time", "-v", "-o", tf, *inner], cwd=d, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return Run("timeout", None, f"> {limit} s", out.decode(errors="replace"), err.decode(errors="replace"), False)
    t = open(tf).read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    sig = re.search(r"Command terminated by signal (\d+)", t)
    code = f"signal {sig.group(1)}" if sig else p.returncode
    return Run(code, rss, wall, out.decode(errors="replace"), err.decode(errors="replace"), not sig)


def finding_codes(text):
    """Codes of the error findings in any output format: text (`error[code]`), github
    (`::error …,title=code::`), and JSON (objects with `"severity": "error"` and a `code`,
    as validate's report and saved plans hold them)."""
    codes = set(re.findall(r"\berror\[([a-z0-9-]+)\]", text))
    codes |= set(re.findall(r"^::error [^\n]*?title=([a-z0-9-]+)::", text, re.M))
    try:
        stack = [json.loads(text)]
    except ValueError:
        stack = []
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("severity") == "error" and isinstance(v.get("code"), str):
                codes.add(v["code"])
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return codes


def codes_of(r):
    return finding_codes(r.out) | finding_codes(r.err)


def files_below(top):
    for base, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if x != ".git"]
        for f in files:
            p = os.path.join(base, f)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def git(d, *args):
    subprocess.run(["git", *args], cwd=d, check=True, env=dict(os.environ, **GIT_ENV),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def git_out(d, *args):
    return subprocess.run(["git", *args], cwd=d, check=True, env=dict(os.environ, **GIT_ENV),
                          stdout=subprocess.PIPE).stdout.decode().strip()


class Attack:
    """One attack: a copy of the example in WORK/repo, the files CI writes in WORK."""

    def __init__(self, bench, label):
        self.bench, self.label = bench, label
        self.work = tempfile.mkdtemp(prefix="attack-")
        self.d = os.path.join(self.work, "repo")
        shutil.copytree(os.path.join(ROOT, "examples/northwind"), self.d, ignore=shutil.ignore_patterns("dist"))
        self.head = None

    def path(self, name):
        return os.path.join(self.work, name)

    def pull_request(self, change):
        """The example committed on `main`, CHANGE committed on a branch checked out over it."""
        write(self.d, ".gitignore", "/dist/\n")
        git(self.d, "init", "-q", "-b", "main")
        git(self.d, "add", "-A")
        git(self.d, "commit", "-q", "-m", "base")
        git(self.d, "checkout", "-q", "-b", "pull-request")
        change(self.d)
        git(self.d, "add", "-A")
        git(self.d, "commit", "-q", "-m", "the pull request")
        self.head = git_out(self.d, "rev-parse", "HEAD")

    def run(self, args, verdict, shown=None, ulimit=False):
        """Measures `partnerctl ARGS`; VERDICT(run) says whether the attack was refused or
        neutralised: (bool, why)."""
        r = timed(self.bench.binary, args, self.d, self.bench.timeout, ulimit)
        found = codes_of(r)
        if "--out" in args and os.path.isfile(args[args.index("--out") + 1]):
            found |= finding_codes(open(args[args.index("--out") + 1], errors="replace").read())
        r.codes = found
        codes = ", ".join(sorted(found))
        if r.ended:
            ok, why = verdict(r)
        else:
            ok, why = False, "did not end by itself"
        self.bench.row(self.label, shown or "`" + " ".join(self.short(a) for a in args) + "`", r, codes, ok, why)
        return r

    def short(self, a):
        a = a.replace(self.work + "/", "")
        return "…" + a[-40:] if len(a) > 60 else a

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)


class Bench:
    def __init__(self, binary, timeout):
        self.binary, self.timeout = binary, timeout
        self.rows = []

    def row(self, label, command, r, codes, ok, why):
        """A line of the table. A run held when it ended by itself, under the memory bound,
        and the attack was refused or neutralised."""
        if r.rss_kib is not None and r.rss_kib >= PEAK_LIMIT_KIB:
            ok, why = False, f"peak memory over {PEAK_LIMIT_KIB >> 10} MiB; {why}"
        if str(r.code).startswith("signal"):
            tail = [l for l in r.err.splitlines() if l.strip()][:1]
            why = f"killed by {r.code}{': ' + tail[0] if tail else ''}; {why}"
        self.rows.append((label, command, r, ok))
        mem = f"{r.rss_kib / 1024:.0f} MiB" if r.rss_kib is not None else "-"
        mark = "yes" if ok else "**NO**"
        print(f"| {label} | {command} | {r.code} | {codes} | {mem} | {r.wall} | {mark}: {why} |", flush=True)


# --- what each run must show --------------------------------------------------------------

def exits(code, why="ended by itself"):
    return lambda r: (r.code == code, f"exit {code}, {why}" if r.code == code else f"exit {r.code}, expected {code}")


def finding(code, exit_code=1, also=None):
    def v(r):
        found = code in r.codes
        if r.code != exit_code or not found:
            return False, f"expected exit {exit_code} with `{code}`"
        if also:
            return also(r)
        return True, f"`{code}`"
    return v


def no_workflow_command(text):
    """(ok, the first line a runner would take for a workflow command, other than
    partnerctl's own `::error file=…,line=…,col=…,title=…::` and notices)."""
    for line in re.split(r"[\n\r]", text):
        if re.match(r"::(error|warning) file=[^,]*,line=\d+,col=\d+,title=[a-z0-9-]+::", line) or line.startswith("::notice title=partnerctl::"):
            continue
        t = line.lstrip()
        if t.startswith("::") or t.startswith("##["):
            return False, line
    return "\x1b" not in text, None


def plan_json(path):
    with open(path) as h:
        v = json.load(h)
    return v.get("plan", v)


def teams_of(plan):
    return {(t["team"], t.get("handle")) for t in plan.get("approvalTeams", [])}


# --- the attacks --------------------------------------------------------------------------

REPEAT = '{% set a = "x" * 100000 %}'
LOOP = '    Loop:\n      type: array\n      items: {$ref: "#/components/schemas/Loop"}\n'


def memory_attacks(b):
    """tests/hostile/memory.rs and the example itself."""
    single = [
        ("the example, unchanged", None, ["validate"], exits(0)),
        ("the example, unchanged", None, ["render"], exits(0)),
        ("the example, unchanged", None, ["plan"], exits(0)),
        ("recursive schema `Loop: {type: array, items: {$ref: Loop}}` in a parameter",
         lambda d: schema(d, LOOP, '{$ref: "#/components/schemas/Loop"}'), ["validate"], exits(0)),
        ("recursive schema `Loop: {type: array, items: {$ref: Loop}}` in a parameter",
         lambda d: schema(d, LOOP, '{$ref: "#/components/schemas/Loop"}'), ["plan"], exits(0)),
        ("recursive schema `Loop: {type: array, items: {$ref: Loop}}` in a parameter",
         lambda d: schema(d, LOOP, '{$ref: "#/components/schemas/Loop"}'), ["render"], "loop-page"),
        ("`Loop: {$ref: Loop}`", lambda d: schema(d, '    Loop: {$ref: "#/components/schemas/Loop"}\n', '{$ref: "#/components/schemas/Loop"}'),
         ["plan"], finding("openapi-invalid")),
        ("two files fanning a 1 MB string out 2^13 times (8 GB inlined)", fan, ["validate"], finding("openapi-invalid")),
        ("two files fanning a 1 MB string out 2^13 times (8 GB inlined)", fan, ["render"], finding("openapi-invalid")),
        ("template `([a] * 100000)|join` of a 100 kB string (10 GB)",
         lambda d: template(d, "join.txt.j2", REPEAT + "{{ ([a] * 100000)|join }}\n"), ["render"], finding("output-invalid")),
        ("template `'%s'|format([a] * 100000)`",
         lambda d: template(d, "fmt.txt.j2", REPEAT + "{{ '%s'|format([a] * 100000) }}\n"), ["render"], finding("output-invalid")),
        ("template `'' ~ ([a] * 100000)`",
         lambda d: template(d, "tilde.txt.j2", REPEAT + "{{ '' ~ ([a] * 100000) }}\n"), ["render"], finding("output-invalid")),
        ("Rego `count(numbers.range(1, 200000000))`",
         lambda d: policy(d, "count(numbers.range(1, 200000000)) > 0"), ["validate"], finding("policy")),
        ("Rego `sprintf(\"%999999999d\", [1])`",
         lambda d: policy(d, 'count(sprintf("%999999999d", [1])) > 0'), ["validate"], finding("policy")),
        ("Rego `concat` of 100,000 copies of a 100 kB string",
         lambda d: policy(d, 'count(concat("", [s | some i in numbers.range(1, 100000); s := concat("", ["x" | some j in numbers.range(1, 100000)])])) > 0'),
         ["validate"], finding("policy")),
        ("Rego comprehension over two ranges of 20,000",
         lambda d: policy(d, "count([[a, b] | some a in numbers.range(1, 20000); some b in numbers.range(1, 20000)]) > 0"),
         ["validate"], finding("policy")),
    ]
    for label, apply, args, verdict in single:
        a = Attack(b, label)
        if apply:
            apply(a.d)
        if verdict == "loop-page":
            page = os.path.join(a.d, "dist/docs/products/shipments/api.html")
            verdict = lambda r, page=page: (
                (True, "exit 0, the schema written as `array of Loop`")
                if r.code == 0 and os.path.isfile(page) and "array of Loop" in read(os.path.dirname(page), "api.html")
                else (False, "no reference page naming `array of Loop`"))
        a.run(args, verdict)
        a.close()

    # Under an address-space limit of 2 GiB.
    for args in (["validate"], ["render"], ["plan"]):
        a = Attack(b, f"the example, unchanged, under `ulimit -v {ADDRESS_SPACE_KIB}`")
        a.run(args, exits(0), shown=f"`{' '.join(args)}` (limited)", ulimit=True)
        a.close()

    # Usage rollups whose counts would wrap u64.
    a = Attack(b, "rollup counts that wrap u64 (every call refused)")
    rollup(a.d)

    def unwrapped(r):
        try:
            f = json.loads(r.out)
        except ValueError:
            return False, "no funnel JSON"
        calls = f["usage"]["calls"]
        active = "caribe-shipping" in f.get("active", [])
        ok = calls == 9223372036854775809 and not active and "wrap.jsonl:1" in r.err and "wrap.jsonl:3" in r.err
        return ok, f"lines 1 and 3 refused at their line, {calls} calls counted, caribe-shipping {'active' if active else 'not active'}"
    a.run(["funnel", "--format", "json", "--usage", a.path("repo/wrap.jsonl")], unwrapped)
    a.close()


def ci_plan(a):
    """`plan` as the pull-request job runs it; the plan saved to WORK/plan.json."""
    return ["plan", "--merge-base", "main", "--format", "markdown", "--parts-dir", a.path("parts"),
            "--out", a.path("plan.json"), "--detailed-exitcode"]


CI_PLAN = "`plan --merge-base main --format markdown --parts-dir … --out plan.json --detailed-exitcode`"
CI_APPROVALS = "`approvals --plan plan.json --reviews … --teams … --head SHA --author mallory --format markdown`"


def ci_approvals(a, friend_everywhere=False, friend_in=()):
    """`approvals` as the job runs it: the reviews of the pull request (the author and their
    friend approved its head), the members of every team the saved plan names (the friend
    in FRIEND_IN, in every team with FRIEND_EVERYWHERE, otherwise someone who did not
    review)."""
    plan = plan_json(a.path("plan.json"))
    reviews = [
        {"id": 1, "user": {"login": "friend"}, "state": "APPROVED", "commit_id": a.head, "submitted_at": "2026-11-01T10:00:00Z"},
        {"id": 2, "user": {"login": "mallory"}, "state": "APPROVED", "commit_id": a.head, "submitted_at": "2026-11-01T10:00:00Z"},
    ]
    members = {"@northwind/mallory-friends": ["friend"]}
    for t in plan.get("approvalTeams", []):
        if t.get("handle"):
            friendly = friend_everywhere or t["handle"] in friend_in
            members[t["handle"]] = ["friend"] if friendly else ["owner-member"]
    with open(a.path("reviews.json"), "w") as h:
        json.dump(reviews, h)
    with open(a.path("teams.json"), "w") as h:
        json.dump(members, h)
    return ["approvals", "--plan", a.path("plan.json"), "--reviews", a.path("reviews.json"),
            "--teams", a.path("teams.json"), "--head", a.head, "--author", "mallory", "--format", "markdown"]


def approval_attacks(b):
    # The owner moved to another team of the base, whose member is the author's friend.
    def asks_base_owner(a):
        def v(r):
            t = teams_of(plan_json(a.path("plan.json")))
            ok = ("shipments-team", "@northwind/shipments") in t
            return ok, "asks shipments-team (the base's owner)" if ok else f"base owner not asked: {sorted(t)}"
        return v

    def not_approved(r):
        ok = r.code == 1
        return ok, "exit 1: the friend's review does not pass it" if ok else f"exit {r.code}: passed"

    a = Attack(b, "approve its own change: `owner: rates-team` and a higher `rateLimit`")
    a.pull_request(lambda d: (raise_limit(d), edit(d, "products/shipments.yaml", "owner: shipments-team", "owner: rates-team")))
    a.run(ci_plan(a), asks_base_owner(a), CI_PLAN)
    a.run(ci_approvals(a, friend_in=("@northwind/rates",)), not_approved, CI_APPROVALS)
    a.close()

    a = Attack(b, "approve its own change: a team `shipments-ops: {github: \"@northwind/mallory-friends\"}` made the owner")

    def friends_not_asked(r):
        ok, why = asks_base_owner(a)(r)
        t = teams_of(plan_json(a.path("plan.json")))
        friends = any(team == "shipments-ops" or h == "@northwind/mallory-friends" for team, h in t)
        return ok and not friends, "the added team is not asked; " + why if not friends else f"the added team is asked: {sorted(t)}"
    a.pull_request(lambda d: (raise_limit(d), add_friends_team(d), edit(d, "products/shipments.yaml", "owner: shipments-team", "owner: shipments-ops")))
    a.run(ci_plan(a), friends_not_asked, CI_PLAN)
    a.run(ci_approvals(a), not_approved, CI_APPROVALS)
    a.close()

    # A plan with errors, every team approved by the friend.
    a = Attack(b, "pass the required status with a broken plan (a `schema` error), every team approved")
    a.pull_request(broken_plan)

    def plan_fails(r):
        p = plan_json(a.path("plan.json"))
        return r.code == 1 and p.get("ok") is False, f"exit {r.code}, `ok: {str(p.get('ok')).lower()}`"

    def never_approved(r):
        ok = r.code == 1 and "plan" in r.out and "error" in r.out
        return ok, "exit 1, the comment opens with the plan's failure" if ok else f"exit {r.code}"
    a.run(ci_plan(a), plan_fails, CI_PLAN)
    a.run(ci_approvals(a, friend_everywhere=True), never_approved, CI_APPROVALS)
    a.close()

    # The program's own rules loosened.
    a = Attack(b, "loosen the program: `exceptionsMaxDays: 3650`, three built-in policies off, a lenient policy")
    a.pull_request(loosen)

    def program_changed(r):
        p = plan_json(a.path("plan.json"))
        ch = [c for c in p.get("changes", []) if c.get("resource") == "program"]
        classes = ch[0].get("classes", []) if ch else []
        t = sorted(team for team, _ in teams_of(p))
        ok = "program-changed" in classes and {"partnerships", "security"} <= set(t)
        return ok, f"`program-changed`, asks {', '.join(t)}" if ok else f"classes {classes}, teams {t}"
    a.run(ci_plan(a), program_changed, CI_PLAN)
    a.run(ci_approvals(a), not_approved, CI_APPROVALS)
    a.close()


def route_attacks(b):
    def takeover(d):
        write(d, "products/harbour.yaml", new_product(d, "harbour", '[{method: GET, path: "/v1/shipments/{shipment}"}, {method: GET, path: /v1/harbour}]'))
    a = Attack(b, "take over a route: a new product declaring `GET /v1/shipments/{shipment}` of shipments")
    a.pull_request(takeover)
    a.run(["validate", "--format", "github"], finding("endpoint-conflict"))
    a.run(ci_plan(a), finding("endpoint-conflict"), CI_PLAN)
    a.close()

    # A product with no subscriber routed in another team's namespace.
    a = Attack(b, "spread every partner's key: a product without subscribers routed in namespace `harbour-team`")
    write(a.d, "products/berths.yaml", new_product(a.d, "berths", '[{method: GET, path: "/v1/berths/{id}"}]',
                                                    "route: {name: berths, namespace: harbour-team}"))

    def per_namespace(r):
        out = os.path.join(a.d, "dist/k8s/envoy-gateway-production")
        secrets = policies = 0
        for p in files_below(out):
            text = open(p, errors="replace").read()
            for doc in re.split(r"(?m)^---\s*$", text):
                if re.search(r"(?m)^  namespace: \"?harbour-team\"?$", doc):
                    secrets += bool(re.search(r"(?m)^kind: ExternalSecret$", doc))
                    policies += bool(re.search(r"(?m)^kind: SecurityPolicy$", doc))
        ok = r.code == 0 and secrets == 0 and policies > 0
        return ok, f"{secrets} ExternalSecrets in harbour-team (its route is there: {policies} SecurityPolicy)"
    a.run(["render"], per_namespace)
    a.close()

    # Kubernetes names two things would share.
    a = Attack(b, "Kubernetes names: `tracking` + plan `std-eu` and `tracking-std` + plan `eu`")
    collide(a.d)
    a.run(["validate", "--format", "github"], exits(0))

    def distinct(r):
        seen, dup = set(), []
        for p in files_below(os.path.join(a.d, "dist/k8s/kong-ingress-production")):
            for doc in re.split(r"(?m)^---\s*$", open(p, errors="replace").read()):
                kind = re.search(r"(?m)^kind: (\S+)$", doc)
                meta = re.search(r"(?ms)^metadata:\n(.*?)(?=^\S)", doc + "\nend")
                if not kind or not meta:
                    continue
                name = re.search(r"(?m)^  name: \"?([^\"\n]+)\"?$", meta.group(1))
                ns = re.search(r"(?m)^  namespace: \"?([^\"\n]+)\"?$", meta.group(1))
                key = (kind.group(1), ns.group(1) if ns else "", name.group(1) if name else "")
                if key in seen:
                    dup.append(key)
                seen.add(key)
        ok = r.code == 0 and not dup and len(seen) > 0
        return ok, f"{len(seen)} manifests, each named once" if ok else f"duplicates: {dup}"
    a.run(["render"], distinct)
    a.close()


def path_attacks(b):
    a = Attack(b, "read `.git/config` through `dist/meta -> ../.git` in the drift check")
    d = a.d
    git(d, "init", "-q", "-b", "main")
    with open(os.path.join(d, ".git/config"), "a") as h:
        h.write(f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {GIT_TOKEN}\n')
    s = read(d, "program.yaml")
    write(d, "program.yaml", s[: s.index("  outputs:\n")] + "  outputs:\n    - {template: templates/partners.csv.j2, path: dist/meta/config}\n")
    state = a.path("state.json")
    first = timed(b.binary, ["apply", "--state-file", state], d, b.timeout)
    assert first.code == 0, first.all
    shutil.rmtree(os.path.join(d, "dist/meta"))
    os.symlink("../.git", os.path.join(d, "dist/meta"))

    def unread(r):
        leaked = GIT_TOKEN in r.all or any(GIT_TOKEN in open(p, errors="replace").read() for p in files_below(os.path.join(d, "dist")))
        config = open(os.path.join(d, ".git/config")).read()
        ok = not leaked and "dist/meta/config" in r.all and GIT_TOKEN in config and "name,displayName" not in config
        return ok, "the token is in no output; `dist/meta/config` reported as replaced" if ok else "the token was read or .git/config written"
    a.run(["plan", "--state-file", state, "--format", "markdown"], unread, "`plan --state-file state.json --format markdown`")
    a.run(["plan", "--state-file", state, "--format", "json"], unread, "`plan --state-file state.json --format json`")
    a.run(["apply", "--state-file", state], unread, "`apply --state-file state.json`")
    a.close()


def secret_attacks(b):
    a = Attack(b, "leak a token pasted into a reference: `secretRef` `?token=ghp_…`, `https://admin:pw@vault…`, bare `sk_live_…`; an upstream's `?key=ghp_…`")
    a.pull_request(secret_refs)

    def redacted(r):
        written = [a.path("plan.json")] if os.path.exists(a.path("plan.json")) else []
        for top in (a.path("parts"), os.path.join(a.d, "dist")):
            if os.path.isdir(top):
                written += list(files_below(top))
        texts = [r.all] + [open(p, errors="replace").read() for p in written]
        leaked = [s for s in SECRETS if any(s in t for t in texts)]
        found = "secret-in-repo" in r.codes
        ok = found and not leaked and r.code == 1
        why = f"`secret-in-repo`; no token in stdout, stderr or any of the {len(written)} files written so far (saved plan, comment parts, dist/)"
        return ok, why if ok else f"exit {r.code}, flagged {found}, leaked {leaked}"
    a.run(["validate", "--format", "github"], redacted)
    a.run(["validate", "--format", "json"], redacted)
    a.run(ci_plan(a), redacted, CI_PLAN)
    a.run(["render"], redacted)
    a.close()


def message_attacks(b):
    a = Attack(b, "inject workflow commands through a policy's `print()` (`::stop-commands::`, `::add-mask::`, `##[error]`)")
    a.pull_request(noisy_policy)

    def escaped(r):
        ok, line = no_workflow_command(r.all)
        shown = "stop-commands" in r.err
        if ok and shown:
            return True, "printed, escaped: no line starts a workflow command"
        return False, f"raw line {line!r}" if line else "the print is not shown"
    a.run(["validate", "--format", "github"], escaped)
    a.run(ci_plan(a), escaped, CI_PLAN)
    a.close()


def placement_attacks(b):
    a = Attack(b, "hide a partner change in `partner/`, `Partners/`, `partners-new/` and the repository root")
    a.pull_request(misplaced)

    def all_named(r):
        found = "misplaced-resource" in r.codes
        missing = [p for p in MISPLACED if p not in r.all]
        ok = r.code == 1 and found and not missing
        return ok, "`misplaced-resource` naming all four files" if ok else f"exit {r.code}, not named: {missing}"
    a.run(["validate", "--format", "github"], all_named)

    def plan_names(r):
        found = "misplaced-resource" in r.codes
        return r.code == 1 and found, "`misplaced-resource`" if found else f"exit {r.code}"
    a.run(ci_plan(a), plan_names, CI_PLAN)
    a.close()


def reference_attacks(b):
    """The portal's API reference, written from a product's description by built-in
    templates on merge: a description it cannot write within its budget must fail
    `validate`, naming the description, and no description may take more than its budget of
    memory (docs/security.md, Limits)."""
    def refused(r):
        codes = r.codes & {"openapi-invalid", "output-invalid"}
        if r.code != 1 or not codes:
            return False, f"exit {r.code}: validate passes it"
        where = "naming `apis/rates.json`" if "apis/rates.json" in r.all else "naming the built-in `templates/docs/api.html.j2`, not the description"
        return True, f"`{', '.join(sorted(codes))}` {where}"

    label = "an API reference over its budget: one tag of 400 operations, each showing a 2 MiB example by `$ref` (a 2.2 MB description, 800 MB of page)"
    for limited in (False, True):
        a = Attack(b, label)
        example_fan_out(a.d, 400, 400)
        a.run(["validate", "--format", "github"], refused, "`validate --format github`" + (" (limited)" if limited else ""), ulimit=limited)
        a.close()

    # Each page within the template's budget, the pages together over the reference's.
    label = "an example fanned out by the API reference: ten tags of 40 operations, each showing a 2 MiB example by `$ref` (800 MB of pages)"
    for args, limited in ((["validate", "--format", "github"], False), (["render"], False), (["validate", "--format", "github"], True)):
        a = Attack(b, label)
        example_fan_out(a.d, 400, 40)
        a.run(args, refused, f"`{' '.join(args)}`" + (" (limited)" if limited else ""), ulimit=limited)
        a.close()

    # Loading must take memory in proportion to the description; the reference of 60,000
    # operations, its navigation on every page, is over its budget.
    label = "a description of 60,000 operations (6.4 MB, under the 8 MiB file limit)"
    a = Attack(b, label)
    many_operations(a.d, 60000)
    a.run(["policy", "input"], exits(0, "loaded, every operation read"))
    a.run(["validate", "--format", "github"], refused)
    a.close()


def loadavg():
    with open("/proc/loadavg") as h:
        return " ".join(h.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    b = Bench(os.path.abspath(args.bin), args.timeout)
    version = subprocess.run([b.binary, "--version"], stdout=subprocess.PIPE).stdout.decode().strip()
    print(f"`{version}`, {os.cpu_count()} cores, load average at the start {loadavg()}, "
          f"timeout {args.timeout} s a run, as of {AS_OF}.")
    print()
    print("| attack | command | exit | findings | peak memory | wall | refused or neutralised |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    memory_attacks(b)
    approval_attacks(b)
    route_attacks(b)
    path_attacks(b)
    secret_attacks(b)
    message_attacks(b)
    placement_attacks(b)
    reference_attacks(b)
    runs = [r for _, _, r, _ in b.rows]
    ended = sum(r.ended for r in runs)
    worst = max((r.rss_kib for r in runs if r.rss_kib is not None), default=0)
    print()
    print(f"{len(runs)} runs: {ended} ended by themselves, {len(runs) - ended} killed or timed out; "
          f"largest peak memory {worst / 1024:.0f} MiB (bound {PEAK_LIMIT_KIB >> 10} MiB); "
          f"held (ended, under the bound, refused or neutralised): {sum(ok for *_, ok in b.rows)}. "
          f"Load average at the end {loadavg()}.")
    bad = [(lbl, cmd, r) for lbl, cmd, r, ok in b.rows if not ok]
    if bad:
        print()
        print("Not held:")
        print()
    for lbl, cmd, r in bad:
        mem = f"{r.rss_kib / 1024:.0f} MiB" if r.rss_kib is not None else "-"
        print(f"- {lbl}, {cmd}: exit {r.code}, peak {mem}, {r.wall}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
