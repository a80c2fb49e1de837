#!/usr/bin/env python3
"""Generate a large, valid partner program for the partnerctl benchmark.

The program copies `examples/northwind` (program.yaml, products/, apis/, terms/ with their texts,
templates/) and writes N generated partners under `partners/<region>/<country>/`, spread over
every stage, each consistent with the checks of SPEC §1-2 and the built-in policy pack as of
2026-11-01: `partnerctl validate --as-of 2026-11-01` reports nothing on the result.

With `--usage-gb X` it also streams a usage log (SPEC §8 JSON Lines) of about X GB for the
generated credentials to `--usage-file`.

Python 3 standard library only; deterministic for a given `--seed`.
"""

import argparse
import datetime as dt
import os
import random
import re
import shutil
import sys

TODAY = dt.date(2026, 11, 1)
EARLIEST = dt.date(2024, 1, 8)
# partner-tos "2.0" became effective on this day and had to be re-accepted by REACCEPT_BY.
TOS2_EFFECTIVE = dt.date(2026, 3, 1)
REACCEPT_BY = dt.date(2026, 6, 1)
# key-rotation policy: a live key may be at most a year old.
KEY_LIFETIME = 365

PATH = ["registered", "terms_accepted", "sandbox", "production_requested", "live"]

# The final stage of the generated partners, by share.
STAGE_MIX = [
    ("registered", 8),
    ("terms_accepted", 9),
    ("sandbox", 24),
    ("production_requested", 8),
    ("live", 36),
    ("suspended", 6),
    ("offboarded", 9),
]

REGIONS = {
    "emea": {
        "de": "GmbH", "nl": "B.V.", "fr": "SAS", "uk": "Ltd", "es": "S.L.", "it": "S.r.l.",
        "se": "AB", "pl": "sp. z o.o.", "no": "AS", "za": "(Pty) Ltd", "ae": "LLC",
    },
    "apac": {
        "sg": "Pte. Ltd.", "au": "Pty Ltd", "nz": "Limited", "jp": "K.K.", "in": "Private Limited",
        "kr": "Co., Ltd.", "my": "Sdn. Bhd.",
    },
    "americas": {
        "us": "Inc.", "ca": "Ltd.", "mx": "S.A. de C.V.", "br": "Ltda.", "ar": "S.A.", "cl": "SpA",
        "co": "S.A.S.",
    },
}

FIRST = [
    "blue", "north", "swift", "iron", "silver", "harbor", "river", "summit", "pioneer",
    "coastal", "metro", "prime", "global", "rapid", "atlas", "cedar", "granite", "polar",
    "amber", "falcon", "delta", "orbit", "vertex", "crest", "lumen", "nova", "terra", "zenith",
    "alpine", "bay", "canyon", "eagle", "fjord", "galaxy", "horizon", "island", "jade",
    "keystone", "lake", "meridian", "oak", "pacific", "quartz", "redwood", "sierra", "tidal",
    "union", "valley", "willow", "sun", "star", "harvest", "ember", "cobalt", "maple",
]
SECOND = [
    "freight", "cargo", "logistics", "parcel", "express", "shipping", "haulage", "courier",
    "transport", "dispatch", "carriers", "movers", "line", "route", "trade", "supply", "post",
    "delivery", "fleet", "roads", "rail", "air", "ocean", "port", "depot", "link", "flow",
]
SUFFIX = ["", "", "", "", "group", "partners", "solutions", "systems", "global", "direct"]

GIVEN = [
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas",
    "Karin", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wei", "Xenia", "Yusuf", "Zoe", "Aroha", "Haruto", "Priya", "Mateo",
    "Sofía", "Lukas", "Amara", "Kenji", "Leila", "Omar", "Freya", "Diego", "Nadia", "Tomás",
]
FAMILY = [
    "Roe", "Vogel", "Lang", "Tan", "Kumar", "Rahman", "Ngata", "Liu", "Nair", "Mehta",
    "Mitchell", "Cooper", "Tanaka", "Sato", "Gómez", "Janssen", "Bakker", "Dubois", "Rossi",
    "Novak", "Silva", "Costa", "Müller", "Schmidt", "Andersen", "Kowalski", "Chen", "Park",
    "Okafor", "Haddad", "García", "López", "Brown", "Wilson", "Moreau", "Berg", "Ito", "Das",
]

PRODUCTS = {
    # product: (sandbox plans, production plans, needs data-sharing)
    "shipments": (["starter", "standard"], ["standard", "enterprise"], True),
    "tracking": (["starter", "standard"], ["standard", "enterprise"], False),
    "rates": (["starter", "preview"], [], False),
}

ENDPOINTS = {
    "shipments": [
        ("GET", "/v1/shipments"), ("POST", "/v1/shipments"), ("GET", "/v1/shipments/{id}"),
        ("PATCH", "/v1/shipments/{id}"), ("POST", "/v1/shipments/{id}/labels"),
    ],
    "tracking": [
        ("GET", "/v1/tracking/{id}"), ("GET", "/v1/tracking/{id}/events"),
        ("POST", "/v1/tracking/webhooks"),
    ],
    "rates": [("GET", "/v1/rates/services"), ("POST", "/v1/rates/quotes")],
}


def days(n):
    return dt.timedelta(days=n)


class Partner:
    def __init__(self, name, region, country):
        self.name = name
        self.region = region
        self.country = country
        self.history = []  # (stage, date)
        self.agreements = []  # (terms, version, date, signer)
        self.subscriptions = []  # (product, plan, env)
        self.credentials = []  # dict
        self.contacts = []
        self.listed = False
        self.display = ""
        self.legal = ""
        self.tier = None

    @property
    def stage(self):
        return self.history[-1][0]


def unique_name(rng, used):
    while True:
        parts = [rng.choice(FIRST), rng.choice(SECOND)]
        suffix = rng.choice(SUFFIX)
        if suffix:
            parts.append(suffix)
        base = "-".join(parts)
        if base not in used:
            used.add(base)
            return base
        for n in range(2, 10_000):
            name = f"{base}-{n}"
            if name not in used:
                used.add(name)
                return name


def build_history(rng, target):
    """The history of a partner whose final stage is `target`: one step at a time, dated in
    order, never after TODAY. Live partners are sometimes suspended and back on the way."""
    if target in PATH:
        stages = PATH[: PATH.index(target) + 1]
        if target == "live" and rng.random() < 0.08:
            stages = stages + ["suspended", "live"]
    else:
        reached = rng.choices(PATH, weights=[1, 2, 4, 2, 6])[0]
        stages = PATH[: PATH.index(reached) + 1] + [target]
    gaps = {
        "terms_accepted": (1, 14),
        "sandbox": (1, 10),
        "production_requested": (20, 120),
        "live": (7, 30),
        "suspended": (30, 200),
        "offboarded": (20, 300),
    }
    steps = [rng.randint(*gaps[s]) for s in stages[1:]]
    if stages[-2:] == ["suspended", "live"]:
        steps[-1] = rng.randint(7, 40)  # back from a suspension
    # The last step of a partner still in an early stage is recent more often than not.
    span = sum(steps)
    latest_start = TODAY - days(span)
    if target in ("registered", "terms_accepted", "sandbox", "production_requested"):
        # Most are recent; a few are stuck for long.
        back = int(rng.expovariate(1 / 60))
        start = latest_start - days(back)
    else:
        start = EARLIEST + days(rng.randint(0, max(0, (latest_start - EARLIEST).days)))
    if start < EARLIEST:
        start = EARLIEST + days(rng.randint(0, 30))
        # Squeeze the steps so that the last one is not after today.
        room = (TODAY - start).days
        if span > room:
            steps = [max(0, s * room // span) for s in steps]
    date = start
    history = [("registered", date)]
    for stage, step in zip(stages[1:], steps):
        date = date + days(step)
        history.append((stage, date))
    assert history[-1][1] <= TODAY
    return history


def first_date(history, stage):
    for s, d in history:
        if s == stage:
            return d
    return None


def access_intervals(history, env):
    """The intervals [start, end) in which the partner had access in `env`; end None means
    it still has."""
    need = "sandbox" if env == "sandbox" else "live"
    need_idx = PATH.index(need)
    intervals = []
    start = None
    for stage, date in history:
        ok = stage in PATH and PATH.index(stage) >= need_idx
        if ok and start is None:
            start = date
        elif not ok and start is not None:
            intervals.append((start, date))
            start = None
    if start is not None:
        intervals.append((start, None))
    return intervals


def credential_chain(rng, partner, env, start, end, counter):
    """Keys rotated yearly from `start`; each revoked when its successor is issued; the last
    revoked at `end` (if the access ended) or still live."""
    short = partner.name if len(partner.name) <= 48 else partner.name[:48].rstrip("-")
    tag = "sbx" if env == "sandbox" else "prd"
    created = start
    stop = end if end is not None else TODAY
    while True:
        counter[env] += 1
        cid = f"{short}-{tag}-{counter[env]}"
        expires = created + days(KEY_LIFETIME)
        nxt = created + days(KEY_LIFETIME - rng.randint(7, 21))
        cred = {
            "id": cid,
            "environment": env,
            "created": created,
            "expires": expires,
            "secretRef": f"vault://partners/{partner.name}/{cid}",
        }
        if nxt <= stop and not (end is not None and nxt >= end):
            cred["revoked"] = nxt
            partner.credentials.append(cred)
            created = nxt
            continue
        if end is not None:
            cred["revoked"] = end
        partner.credentials.append(cred)
        return


def make_partner(rng, name, region, country):
    p = Partner(name, region, country)
    target = rng.choices([s for s, _ in STAGE_MIX], weights=[w for _, w in STAGE_MIX])[0]
    p.history = build_history(rng, target)
    stage = p.stage
    words = [w.capitalize() for w in name.split("-") if not w.isdigit()]
    p.display = " ".join(words)
    p.legal = f"{p.display} {REGIONS[region][country]}"
    domain = name.replace("-", "") + ".example"

    # Contacts: technical always, business usually, legal for those who signed something.
    used_people = set()

    def person():
        while True:
            g, f = rng.choice(GIVEN), rng.choice(FAMILY)
            if (g, f) not in used_people:
                used_people.add((g, f))
                return g, f

    def email(g, f):
        local = f"{g}.{f}".lower()
        local = local.translate(str.maketrans("áéíóúüñ", "aeiouun"))
        return f"{local}@{domain}"

    g, f = person()
    p.contacts.append((f"{g} {f}", email(g, f), "technical"))
    if rng.random() < 0.85:
        g, f = person()
        p.contacts.append((f"{g} {f}", email(g, f), "business"))
    signer = p.contacts[-1][0]
    accepted = first_date(p.history, "terms_accepted")
    if accepted is not None:
        g, f = person()
        p.contacts.append((f"{g} {f}", f"legal@{domain}", "legal"))
        signer = p.contacts[-1][0]

    exited_on = None
    if stage in ("suspended", "offboarded"):
        exited_on = p.history[-1][1]

    # Subscriptions of partners still in the program.
    sandbox_since = first_date(p.history, "sandbox")
    subs = []
    if stage in ("sandbox", "production_requested", "live"):
        products = [pr for pr in PRODUCTS if rng.random() < {"shipments": 0.7, "tracking": 0.6, "rates": 0.3}[pr]]
        if not products:
            products = [rng.choice(list(PRODUCTS))]
        prod_products = []
        if stage == "live":
            prod_products = [pr for pr in products if PRODUCTS[pr][1]]
            if not prod_products:
                prod_products = ["tracking"]
                if "tracking" not in products:
                    products.append("tracking")
        keep_sandbox = stage != "live" or rng.random() < 0.85
        for pr in sorted(products):
            sbx_plans, prd_plans, _ = PRODUCTS[pr]
            if keep_sandbox:
                subs.append((pr, rng.choice(sbx_plans), "sandbox"))
            if pr in prod_products:
                subs.append((pr, rng.choice(prd_plans), "production"))
        if not subs:  # a live partner that dropped its sandbox access
            pr = prod_products[0]
            subs.append((pr, rng.choice(PRODUCTS[pr][1]), "production"))
    p.subscriptions = subs
    subscribed_envs = {env for _, _, env in subs}
    needs_data_sharing = any(PRODUCTS[pr][2] for pr, _, _ in subs)

    # Agreements: partner-tos at terms_accepted ("1.0" before 2.0 was effective, then the
    # re-acceptance of "2.0"), data-sharing for those who share location data.
    if accepted is not None:
        if accepted < TOS2_EFFECTIVE:
            p.agreements.append(("partner-tos", "1.0", accepted, signer))
            end = exited_on if exited_on is not None else TODAY
            if stage == "offboarded" and end < TOS2_EFFECTIVE:
                pass  # left before 2.0 existed
            elif stage != "offboarded" or rng.random() < 0.7:
                # Re-accepted 2.0 before the deadline (or, for later leavers, before leaving).
                lo = TOS2_EFFECTIVE
                hi = min(REACCEPT_BY - days(1), end)
                if hi < lo:
                    hi = lo
                when = lo + days(rng.randint(0, (hi - lo).days))
                p.agreements.append(("partner-tos", "2.0", when, signer))
        else:
            p.agreements.append(("partner-tos", "2.0", accepted, signer))
        if needs_data_sharing or (rng.random() < 0.25 and stage != "registered"):
            p.agreements.append(("data-sharing", "1.0", accepted, signer))
        p.agreements.sort(key=lambda a: a[2])

    # Credentials: a yearly-rotated key chain per environment and access interval; keys of
    # an environment the partner is no longer subscribed in are revoked when access ended.
    counter = {"sandbox": 0, "production": 0}
    for env in ("sandbox", "production"):
        for start, end in access_intervals(p.history, env):
            if end is None and env not in subscribed_envs:
                # Access in this environment was given up at some point after it began.
                span = (TODAY - start).days
                end = start + days(rng.randint(min(30, span), max(min(30, span), span)))
            credential_chain(rng, p, env, start, end, counter)
    # A few partners had a key revoked right after issue (leaked in a ticket, mistyped env).
    if p.credentials and rng.random() < 0.05:
        base = p.credentials[0]
        counter[base["environment"]] += 1
        tag = "sbx" if base["environment"] == "sandbox" else "prd"
        short = p.name if len(p.name) <= 48 else p.name[:48].rstrip("-")
        cid = f"{short}-{tag}-{counter[base['environment']]}"
        p.credentials.append({
            "id": cid,
            "environment": base["environment"],
            "created": base["created"],
            "expires": base["created"] + days(KEY_LIFETIME),
            "revoked": min(base["created"] + days(rng.randint(0, 3)), TODAY),
            "secretRef": f"vault://partners/{p.name}/{cid}",
        })
    p.credentials.sort(key=lambda c: (c["environment"] != "sandbox", c["created"], c["id"]))

    p.listed = stage in ("live", "production_requested") and rng.random() < 0.6
    if stage == "live" and rng.random() < 0.15:
        p.tier = "strategic"
    return p


DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def scalar(v):
    """Dates are quoted, so that YAML 1.1 readers (js-yaml in ajv-cli) keep them strings, as
    partnerctl and the JSON schema do: the benchmark's schema validators read the same files."""
    return f'"{v}"' if DATE_RE.match(str(v)) else v


def flow(d):
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in d) + "}"


def render(p):
    lines = [
        "apiVersion: partnerctl/v1",
        "kind: Partner",
        "metadata:",
        f"  name: {p.name}",
        "  owner: partnerships",
    ]
    labels = [("region", p.region), ("country", p.country)]
    if p.tier:
        labels.append(("tier", p.tier))
    lines.append(f"  labels: {flow(labels)}")
    lines += [
        "spec:",
        f"  displayName: {p.display}",
        f"  legalName: {p.legal}",
        f"  listed: {'true' if p.listed else 'false'}",
        "  contacts:",
    ]
    for name, email, role in p.contacts:
        lines.append(f"    - {flow([('name', name), ('email', email), ('role', role)])}")
    lines.append(f"  stage: {p.stage}")
    lines.append("  history:")
    for stage, date in p.history:
        lines.append(f"    - {flow([('stage', stage), ('date', date)])}")
    if p.agreements:
        lines.append("  agreements:")
        for terms, version, date, signer in p.agreements:
            lines.append(
                f"    - {flow([('terms', terms), ('version', chr(34) + version + chr(34)), ('acceptedOn', date), ('signedBy', signer)])}"
            )
    else:
        lines.append("  agreements: []")
    if p.subscriptions:
        lines.append("  subscriptions:")
        for product, plan, env in p.subscriptions:
            lines.append(f"    - {flow([('product', product), ('plan', plan), ('environment', env)])}")
    else:
        lines.append("  subscriptions: []")
    if p.credentials:
        lines.append("  credentials:")
        for c in p.credentials:
            fields = [("id", c["id"]), ("environment", c["environment"]), ("created", c["created"]),
                      ("expires", c["expires"])]
            if "revoked" in c:
                fields.append(("revoked", c["revoked"]))
            head = flow(fields)[:-1]
            lines.append(f"    - {head},")
            lines.append(f'       secretRef: "{c["secretRef"]}"}}')
    else:
        lines.append("  credentials: []")
    return "\n".join(lines) + "\n"


# Envoy Gateway takes one BackendTrafficPolicy per HTTPRoute, of at most 256 rate-limit rules,
# and the API server objects of at most 1.5 MiB: a product of tens of thousands of subscribers
# (thousands of them with several keys, each needing rules of its own) does not fit, and
# `validate` says so (output-invalid). Above this many partners the benchmark program leaves
# the envoy-gateway output out, so that it stays clean.
ENVOY_GATEWAY_MAX_PARTNERS = 20_000


def copy_base(example, out, partners):
    for item in ("program.yaml", "products", "terms", "apis", "templates"):
        src = os.path.join(example, item)
        dst = os.path.join(out, item)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        elif os.path.exists(src):
            shutil.copy2(src, dst)
    if partners > ENVOY_GATEWAY_MAX_PARTNERS:
        path = os.path.join(out, "program.yaml")
        with open(path, encoding="utf-8") as f:
            kept = [line for line in f if "target: envoy-gateway" not in line]
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(kept)


def write_usage(path, partners, gigabytes, rng):
    """Streams about `gigabytes` GB of usage lines for the generated credentials: mostly the
    live keys of subscribed partners, some revoked keys and unknown keys, over the 60 days
    before TODAY, in time order."""
    callers = []  # (credential, env, [(method, path)])
    for p in partners:
        by_env = {}
        for product, _, env in p.subscriptions:
            by_env.setdefault(env, []).extend(ENDPOINTS[product])
        for c in p.credentials:
            live = "revoked" not in c
            eps = by_env.get(c["environment"]) or ENDPOINTS["tracking"]
            if live or rng.random() < 0.05:
                callers.append((c["id"], c["environment"], eps, live))
    # Partners that never call: a quarter of the live keys stay silent.
    callers = [c for c in callers if not c[3] or rng.random() < 0.75]
    callers.append(("unknown-key", "sandbox", ENDPOINTS["rates"], False))
    target = int(gigabytes * 1_000_000_000)
    start = dt.datetime(TODAY.year, TODAY.month, TODAY.day) - dt.timedelta(days=60)
    statuses = [200] * 90 + [201] * 3 + [400, 404, 429, 500, 401, 403, 429]
    written = 0
    line_count = 0
    # ~165 bytes a line: the timestamp advances so that the log spans the 60 days before
    # TODAY, and never passes the end of the day before.
    approx_lines = max(1, target // 165)
    limit = 60 * 86400 - 1
    step = limit / approx_lines
    t = 0.0
    buf = []
    with open(path + ".tmp", "w", encoding="utf-8", buffering=1 << 20) as f:
        while written < target:
            cid, env, eps, live = callers[rng.randrange(len(callers))]
            method, ep = eps[rng.randrange(len(eps))]
            ep = ep.replace("{id}", str(rng.randrange(1, 10_000_000)))
            status = statuses[rng.randrange(len(statuses))] if live else 403
            if cid == "unknown-key":
                status = 401
            ts = (start + dt.timedelta(seconds=int(t))).strftime("%Y-%m-%dT%H:%M:%SZ")
            t = min(t + step, limit)
            line = (
                f'{{"ts": "{ts}", "credential": "{cid}", "environment": "{env}", '
                f'"method": "{method}", "path": "{ep}", "status": {status}}}\n'
            )
            buf.append(line)
            written += len(line)
            line_count += 1
            if len(buf) >= 4096:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    os.replace(path + ".tmp", path)
    return line_count, written


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--partners", type=int, default=10_000, help="how many partners (default 10000)")
    ap.add_argument("--out", default=os.path.join(here, "work", "program"), help="program folder to write (replaced)")
    ap.add_argument("--seed", type=int, default=20261101)
    ap.add_argument("--example", default=os.path.join(here, "..", "examples", "northwind"),
                    help="the program to copy program.yaml, products/, apis/, terms/ and templates/ from")
    ap.add_argument("--usage-gb", type=float, default=0.0, help="also write a usage log of about this many GB")
    ap.add_argument("--usage-file", default=None, help="where the usage log goes (default: usage.jsonl next to --out)")
    ap.add_argument("--no-program", action="store_true", help="do not (re)write the program; only the usage log")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    used = set()
    partners = []
    for _ in range(args.partners):
        region = rng.choices(list(REGIONS), weights=[45, 25, 30])[0]
        country = rng.choice(list(REGIONS[region]))
        partners.append(make_partner(rng, unique_name(rng, used), region, country))

    out = os.path.abspath(args.out)
    if not args.no_program:
        tmp = out + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        copy_base(os.path.abspath(args.example), tmp, args.partners)
        for p in partners:
            folder = os.path.join(tmp, "partners", p.region, p.country)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, p.name + ".yaml"), "w", encoding="utf-8") as f:
                f.write(render(p))
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
        counts = {}
        for p in partners:
            counts[p.stage] = counts.get(p.stage, 0) + 1
        creds = sum(len(p.credentials) for p in partners)
        print(f"wrote {len(partners)} partners ({creds} credentials) to {out}", file=sys.stderr)
        print("  " + ", ".join(f"{s}: {counts.get(s, 0)}" for s, _ in STAGE_MIX), file=sys.stderr)

    if args.usage_gb > 0:
        path = args.usage_file or os.path.join(os.path.dirname(out), "usage.jsonl")
        lines, size = write_usage(path, partners, args.usage_gb, random.Random(args.seed + 1))
        print(f"wrote {lines} usage lines ({size / 1e9:.2f} GB) to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
