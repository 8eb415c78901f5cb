"""Vendored fragments of the services' published API specifications, and a validator over them.

    problems("discord", "MessageResponse", answer)    # [] when `answer` fits the schema

`discord.json` and `openai.json` hold only the schemas the tests name, with everything they
reference (see README.md for their source and how they were cut). `asked=True` checks a
request body: Discord reads snowflakes sent as integers (discord.py sends message ids and
new attachments' indexes so) while the spec's `SnowflakeType` is a string, so a request
may use either; answers must use the string, as the spec says.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

Spec = Literal["discord", "openai"]
HERE = Path(__file__).parent


@functools.cache
def fragment(spec: Spec) -> dict[str, Any]:
    """One vendored fragment: its `source` and its `components.schemas`."""
    data: dict[str, Any] = json.loads((HERE / f"{spec}.json").read_text())
    return data


@functools.cache
def validator(spec: Spec, names: tuple[str, ...], array: bool, asked: bool) -> Draft202012Validator:
    """A validator for any of the named schemas (or an array of them)."""
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
    schema: dict[str, Any] = refs[0] if len(refs) == 1 else {"anyOf": refs}
    if array:
        schema = {"type": "array", "items": schema}
    components = fragment(spec)["components"]
    if asked and "SnowflakeType" in components["schemas"]:
        snowflake = components["schemas"]["SnowflakeType"]
        either = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
        components = components | {"schemas": components["schemas"] | {"SnowflakeType": either}}
    return Draft202012Validator(schema | {"components": components})


def describe(error: ValidationError) -> list[str]:
    """Where an instance breaks a schema and how; of anyOf/oneOf alternatives, the closest."""
    if not error.context:
        place = "/".join(str(p) for p in error.absolute_path) or "(top)"
        return [f"{place}: {error.message[:300]}"]
    branches: dict[Any, list[ValidationError]] = {}
    for inner in error.context:
        branches.setdefault(inner.relative_schema_path[0], []).append(inner)
    closest = min(branches.values(), key=len)
    return [line for inner in closest for line in describe(inner)]


def problems(
    spec: Spec,
    names: str | tuple[str, ...],
    instance: Any,
    *,
    array: bool = False,
    asked: bool = False,
) -> list[str]:
    """Every way `instance` breaks the named schema(s) of a fragment; [] when it fits."""
    named = (names,) if isinstance(names, str) else names
    assert all(n in fragment(spec)["components"]["schemas"] for n in named), named
    found = validator(spec, named, array, asked).iter_errors(instance)
    return [line for error in found for line in describe(error)]
