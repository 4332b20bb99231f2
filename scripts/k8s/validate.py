#!/usr/bin/python3
"""Checks Kubernetes manifests against the API's own types, as the API server would take them.

The types are those of the official Kubernetes Python client (Debian's python3-kubernetes),
which is generated from the API's OpenAPI description: every field of every object must be one
the type has, of the type's kind (object, list, map, string, integer, boolean), and every field
the type requires must be there. On top of that, a few rules the API server checks beyond the
schema: a workload's selector must match its pod template's labels, every volume mount must name
a volume of the pod, container names must be unique in a pod.

    validate.py FILE...    prints "FILE: N objects valid", or each problem on its own line, exit 1
"""
import re
import sys

import yaml
from kubernetes import client

SCALARS = {"str": str, "bool": bool, "int": int, "float": (int, float), "object": object,
           "datetime": str, "date": str}


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def model(api_version, kind):
    version = api_version.split("/")[-1]
    name = version[0].upper() + version[1:] + kind
    return getattr(client, name, None)


def check(value, type_name, path, problems):
    if value is None:
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            problems.append(f"{path}: a list is wanted, not {value!r}")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{path}[{i}]", problems)
        return
    m = re.fullmatch(r"dict\((.+), (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            problems.append(f"{path}: a map is wanted, not {value!r}")
            return
        for k, v in value.items():
            check(v, m.group(2), f"{path}.{k}", problems)
        return
    if type_name in SCALARS:
        wanted = SCALARS[type_name]
        # YAML has no separate boolean for an int field: a bool is an int to Python, not to the API.
        if (type_name in ("int", "float") and isinstance(value, bool)) or not isinstance(value, wanted):
            problems.append(f"{path}: {article(type_name)} {type_name} is wanted, not {value!r}")
        return
    klass = getattr(client, type_name, None)
    if klass is None:
        problems.append(f"{path}: unknown type {type_name}")
        return
    if type_name == "IntOrString":
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            problems.append(f"{path}: an integer or a string is wanted, not {value!r}")
        return
    if not isinstance(value, dict):
        problems.append(f"{path}: an object ({type_name}) is wanted, not {value!r}")
        return
    fields = {json: attr for attr, json in klass.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            problems.append(f"{path}.{key}: {type_name} has no such field")
            continue
        check(item, klass.openapi_types[fields[key]], f"{path}.{key}", problems)
    for attr in required(klass):
        json = klass.attribute_map[attr]
        if value.get(json) is None:
            problems.append(f"{path}.{json}: required by {type_name}")


def required(klass):
    """The fields whose setter refuses None: the ones the API requires."""
    conf = client.Configuration()
    conf.client_side_validation = True
    out = []
    for attr in klass.openapi_types:
        probe = klass.__new__(klass)
        probe.local_vars_configuration = conf
        try:
            setattr(probe, attr, None)
        except ValueError:
            out.append(attr)
    return out


def pod_rules(spec, path, problems):
    volumes = {v.get("name") for v in spec.get("volumes") or []}
    names = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            if c.get("name") in names:
                problems.append(f"{path}.{group}[{i}].name: {c.get('name')!r} is used twice")
            names.add(c.get("name"))
            for j, mount in enumerate(c.get("volumeMounts") or []):
                if mount.get("name") not in volumes:
                    problems.append(f"{path}.{group}[{i}].volumeMounts[{j}]: no volume named {mount.get('name')!r}")


def workload_rules(obj, problems):
    spec = obj.get("spec") or {}
    template = spec.get("template")
    if template is None:
        return
    labels = (template.get("metadata") or {}).get("labels") or {}
    for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items():
        if labels.get(k) != v:
            problems.append(f"spec.selector.matchLabels.{k}: {v!r} does not match the template's labels {labels}")
    pod_rules(template.get("spec") or {}, "spec.template.spec", problems)


def main(files):
    failed = False
    for f in files:
        with open(f, encoding="utf-8") as stream:
            docs = [d for d in yaml.safe_load_all(stream) if d is not None]
        problems = []
        for n, doc in enumerate(docs):
            where = f"{f}: object {n + 1} ({doc.get('kind', '?')} {(doc.get('metadata') or {}).get('name', '?')})"
            klass = model(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
            if klass is None:
                problems.append(f"{where}: no such kind {doc.get('kind')!r} in {doc.get('apiVersion')!r}")
                continue
            mine = []
            check(doc, klass.__name__, "", mine)
            workload_rules(doc, mine)
            problems += [f"{where}: {p.lstrip('.')}" for p in mine]
        if problems:
            failed = True
            print("\n".join(problems))
        else:
            print(f"{f}: {len(docs)} objects valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
