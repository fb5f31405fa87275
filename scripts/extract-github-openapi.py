#!/usr/bin/env python3
"""Extracts, from GitHub's dereferenced OpenAPI description, the operations the
simulator serves (simulator/openapi/operations.txt) into a small JSON file: for each
operation its parameters, its JSON request body schema and, per documented status,
its JSON response schema. Descriptions, examples and other keys the contract test
does not read are dropped; schemas used more than once are stored once under
"schemas" and referred to as {"$ref": "<name>"} (in schema positions only). Standard library only; the output
is deterministic (sorted keys), so a refresh shows only real changes.

usage: extract-github-openapi.py DEREF_JSON OPERATIONS_TXT VERSION OUT_JSON
"""

import hashlib
import json
import sys

# The schema keywords the simulator's validator reads (simulator/src/contract).
KEPT = {
    "type", "nullable", "required", "properties", "items", "enum", "maxLength",
    "minLength", "maxItems", "minItems", "oneOf", "anyOf", "allOf",
    "additionalProperties", "maxProperties", "minProperties", "minimum", "maximum",
}
# Schemas at least this long (as JSON) are shared when they occur more than once.
SHARED_MIN = 200


# Known errors of the description, corrected in the extract: (combinator, titles of
# its branches, what it should be). An installation's `account` is a user or an
# enterprise, but the description says `allOf` both, which no account satisfies.
ERRATA = [("allOf", ["Simple User", "Enterprise"], "anyOf")]


def strip(schema):
    """The schema with only the kept keywords, recursively, errata corrected."""
    if not isinstance(schema, dict):
        return schema
    for combinator, titles, fixed in ERRATA:
        branches = schema.get(combinator)
        if isinstance(branches, list) and [b.get("title") for b in branches] == titles:
            schema = dict(schema)
            schema[fixed] = schema.pop(combinator)
    out = {}
    for key, value in schema.items():
        if key not in KEPT:
            continue
        if key == "properties":
            out[key] = {name: strip(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = strip(value) if isinstance(value, dict) else value
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [strip(sub) for sub in value]
        else:
            out[key] = value
    return out


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def children(schema):
    """The subschemas directly inside a schema, as (container, key) pairs."""
    out = []
    for name in sorted(schema.get("properties", {})):
        out.append((schema["properties"], name))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out.append((schema, key))
    for key in ("oneOf", "anyOf", "allOf"):
        for index in range(len(schema.get(key, []))):
            out.append((schema[key], index))
    return out


def count(schema, seen):
    """Counts every schema (and subschema) by its canonical text."""
    text = canonical(schema)
    if len(text) >= SHARED_MIN:
        seen[text] = seen.get(text, 0) + 1
    for container, key in children(schema):
        count(container[key], seen)


def share(schema, shared, skip=None):
    """The schema with shared subschemas replaced by references, outermost first."""
    text = canonical(schema)
    if text in shared and text != skip:
        return {"$ref": shared[text]}
    schema = json.loads(text)
    for container, key in children(schema):
        container[key] = share(container[key], shared)
    return schema


def op_schemas(op):
    """Where an extracted operation holds schemas, as (container, key) pairs."""
    out = [(param, "schema") for param in op["parameters"]]
    if op["requestBody"] and op["requestBody"]["schema"] is not None:
        out.append((op["requestBody"], "schema"))
    out += [(op["responses"], s) for s in sorted(op["responses"]) if op["responses"][s]]
    return out


def json_schema(content):
    """The schema of a JSON media type in a content map, if any."""
    for media, body in sorted((content or {}).items()):
        if media == "application/json" or media.endswith("+json"):
            return strip(body.get("schema", {}))
    return None


def main():
    deref_path, ops_path, version, out_path = sys.argv[1:5]
    with open(deref_path, encoding="utf-8") as f:
        spec = json.load(f)
    operations = {}
    for line in open(ops_path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        method, path = line.split(" ", 1)
        op = spec["paths"].get(path, {}).get(method.lower())
        if op is None:
            sys.exit(f"GitHub's description has no operation {line}")
        params = [
            {
                "name": p["name"],
                "in": p["in"],
                "required": p.get("required", False),
                "schema": strip(p.get("schema", {})),
            }
            for p in op.get("parameters", [])
        ]
        body = op.get("requestBody")
        request = None
        if body:
            request = {
                "required": body.get("required", False),
                "media": sorted(body.get("content", {}).keys()),
                "schema": json_schema(body.get("content")),
            }
        responses = {
            status: json_schema(answer.get("content"))
            for status, answer in op.get("responses", {}).items()
        }
        operations[line] = {
            "operationId": op["operationId"],
            "parameters": params,
            "requestBody": request,
            "responses": responses,
        }
    seen = {}
    for op in operations.values():
        for container, key in op_schemas(op):
            count(container[key], seen)
    names = {}
    for text in sorted(t for t, n in seen.items() if n > 1):
        names[text] = hashlib.sha256(text.encode()).hexdigest()[:12]
    for op in operations.values():
        for container, key in op_schemas(op):
            container[key] = share(container[key], names)
    # A shared schema's own subschemas may be shared too.
    schemas = {name: share(json.loads(text), names, skip=text) for text, name in names.items()}
    out = {
        "source": f"@octokit/openapi@{version} generated/api.github.com.deref.json",
        "openapi_version": spec["info"]["version"],
        "operations": operations,
        "schemas": schemas,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, sort_keys=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
