"""Validates Backstage catalog files against the vendored catalog-model JSON schemas
(tests/external/backstage, tag v1.12.1), as tests/external/README.md ("Backstage schemas")
says: each entity against its kind's schema, the $ids resolved through a registry; and the
rules Backstage checks in code rather than in the schemas
(KubernetesValidatorFunctions: names, namespaces, kinds, label values, annotation keys).

Usage: python3 backstage_validate.py SCHEMAS_DIR FILE.yaml...
"""
import glob
import json
import re
import sys

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
KIND = re.compile(r"^[a-zA-Z][a-z0-9A-Z]*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def valid_name(s):
    return isinstance(s, str) and 1 <= len(s) <= 63 and NAME.match(s)


def key_errors(key):
    prefix, _, name = key.rpartition("/")
    out = []
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        out.append(f"annotation key prefix {prefix!r}")
    if not valid_name(name):
        out.append(f"annotation key name {name!r}")
    return out


def main():
    schemas = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/**/*.schema.json", recursive=True)]
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7)) for s in schemas
    )
    by_id = {s["$id"]: s for s in schemas}
    errors = []
    count = 0
    for path in sys.argv[2:]:
        for doc in yaml.safe_load_all(open(path, encoding="utf-8")):
            count += 1
            kind = doc.get("kind")
            schema = by_id.get(f"{kind}V1alpha1".replace("APIV", "ApiV"))
            where = f"{path} {kind} {doc.get('metadata', {}).get('name')}"
            if schema is None:
                errors.append(f"{where}: no schema for kind {kind}")
                continue
            for e in Draft7Validator(schema, registry=registry).iter_errors(doc):
                errors.append(f"{where} {list(e.absolute_path)}: {best_match([e]).message}")
            meta = doc.get("metadata", {})
            if not (isinstance(kind, str) and 1 <= len(kind) <= 63 and KIND.match(kind)):
                errors.append(f"{where}: kind")
            if not valid_name(meta.get("name")):
                errors.append(f"{where}: name {meta.get('name')!r}")
            ns = meta.get("namespace")
            if ns is not None and not (len(ns) <= 63 and DNS_LABEL.match(ns)):
                errors.append(f"{where}: namespace {ns!r}")
            for k, v in (meta.get("labels") or {}).items():
                errors += [f"{where}: {e}" for e in key_errors(k)]
                if v != "" and not valid_name(v):
                    errors.append(f"{where}: label value {v!r}")
            for k in (meta.get("annotations") or {}):
                errors += [f"{where}: {e}" for e in key_errors(k)]
    for e in errors:
        print(e)
    print(f"{count} entities checked, {len(errors)} error(s)")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
