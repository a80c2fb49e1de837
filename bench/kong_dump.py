#!/usr/bin/env python3
"""A decK file of a Kong gateway with N consumers, for timing `audit` and `import kong`.

It takes the services, routes and service plugins of examples/northwind's dump as they are
and adds N consumers the way partnerctl's `kong` target writes them: each with a tag naming
its partner, one or two ACL groups with their plan, one or two key-auth credentials and a
rate-limiting plugin per subscription. Seeded, so the same N always gives the same file.
Written as JSON (decK reads both), which Python writes fast without a YAML library.

    python3 bench/kong_dump.py --consumers 100000 --out bench/work/kong-100k.json
"""

import argparse
import json
import random
import uuid

import yaml

PLANS = {"shipments": ["starter", "standard", "enterprise"], "tracking": ["starter", "standard", "enterprise"]}
LIMITS = {"starter": (10, 10000), "standard": (50, 3000000), "enterprise": (250, 5000000)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--consumers", type=int, default=100_000)
    ap.add_argument("--example", default="examples/northwind/gateway/kong-dump.yaml")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=25)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    with open(args.example) as f:
        base = yaml.safe_load(f)
    tag = base["_info"]["select_tags"][0]
    consumers, plugins = [], [p for p in base.get("plugins", []) if "consumer" not in p]
    for i in range(args.consumers):
        name = f"bench-partner-{i:06d}"
        products = rnd.sample(sorted(PLANS), rnd.choice([1, 1, 2]))
        acls, creds = [], []
        for product in products:
            plan = rnd.choice(PLANS[product])
            acls.append({"group": product, "tags": [tag, f"plan:{plan}"]})
            second, month = LIMITS[plan]
            plugins.append(
                {
                    "name": "rate-limiting",
                    "consumer": name,
                    "service": product,
                    "config": {"second": second, "month": month, "limit_by": "consumer", "policy": "local", "fault_tolerant": True},
                    "tags": [tag, f"partner:{name}", f"plan:{plan}"],
                }
            )
        for k in range(rnd.choice([1, 1, 2])):
            creds.append(
                {
                    "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                    "key": "REDACTED",
                    "tags": [tag, f"credential:{name}-prd-{k + 1}"],
                }
            )
        consumers.append(
            {
                "username": name,
                "custom_id": name,
                "tags": [tag, f"partner:{name}"],
                "acls": acls,
                "keyauth_credentials": creds,
                "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            }
        )
    doc = {"_format_version": base["_format_version"], "_info": base["_info"], "services": base["services"], "consumers": consumers, "plugins": plugins}
    with open(args.out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
