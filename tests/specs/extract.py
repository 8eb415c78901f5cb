"""Cut the schemas the tests need, with everything they reference, out of a full OpenAPI file.

    git -C <mirror> show <commit>:<path> > full.json
    python -m tests.specs.extract full.json <owner/repo> <path> <commit> NAME... > fragment.json

Descriptions, titles, examples and `x-` vendor keys are dropped (they do not validate
anything); every other keyword is kept as published, `$ref`s included. The spec's response
headers (`components.headers`: Discord's rate-limit headers) are kept too.
"""

from __future__ import annotations

import json
import sys
from typing import Any

DROPPED = ("description", "title", "example", "examples")


def strip(node: Any) -> Any:
    """A schema without its prose and vendor extensions."""
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROPPED and k[:2] != "x-"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def closure(schemas: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The named schemas and every schema they reference, directly or not."""
    kept: dict[str, Any] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        kept[name] = strip(schemas[name])
        found = json.dumps(kept[name]).split('"#/components/schemas/')[1:]
        todo.extend(ref.split('"', 1)[0] for ref in found)
    return dict(sorted(kept.items()))


def main(argv: list[str]) -> None:
    """Command line: print the fragment as JSON."""
    full, repo, path, commit, *names = argv
    with open(full) as spec:
        components = json.load(spec)["components"]
    kept = {"schemas": closure(components["schemas"], names)}
    if "headers" in components:
        kept["headers"] = strip(components["headers"])
    fragment = {
        "source": {"repository": repo, "path": path, "commit": commit, "schemas": names},
        "components": kept,
    }
    json.dump(fragment, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
