"""Wire payloads: every JSON body and socket frame a client sends or gets, as TypedDicts.

One module per channel declares its shapes (`widget`, `console`, `rest`; the JSON API's
bodies in `api`, which also says which route reads and answers which, and its answers
in `desk`, `analytics`, `community`, `privacy`); this module checks what arrives against
them and describes them for /api/openapi.json, so the code and the document read the
same declarations and cannot drift apart.

    parse(Kind, value)   the value as a `Kind`, or an InputError naming the first bad
                         field: its code is the field's `Code(...)` if it declares one,
                         else `invalid_<field>`
    parse_typed(shapes, frame)   a socket frame, by the shape its `type` names
    schema(Kind)         Kind's JSON Schema in OpenAPI 3.0's dialect (nullable,
                         boolean exclusiveMinimum, enum for a single literal)

Validation is pydantic's (a TypeAdapter per shape, strict: "1" is no number and 1 no
boolean; keys a shape does not declare are dropped). On Python 3.11 pydantic needs the
TypedDicts of `typing_extensions`. This module imports `bot.errors` only; the shapes'
modules may name channels' limits (channels.parsing) and read bodies (channels.errors).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import typing_extensions
from pydantic import TypeAdapter, ValidationError

from bot.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Code:
    """The error code of a field that fails validation: `Annotated[str, Code("...")]`."""

    code: str


@functools.cache
def _adapter(kind: Hashable) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


@functools.cache
def _codes(kind: Hashable) -> dict[str, str]:
    """Each field's declared Code, found in its hint at any depth (NotRequired, Annotated)."""
    codes: dict[str, str] = {}
    for field, hint in typing_extensions.get_type_hints(kind, include_extras=True).items():
        stack: list[object] = [hint]
        while stack:
            item = stack.pop()
            codes.update(
                (field, m.code) for m in getattr(item, "__metadata__", ()) if isinstance(m, Code)
            )
            stack.extend(typing_extensions.get_args(item))
    return codes


def parse(kind: type[T], value: object, what: str = "the body") -> T:
    """`value` checked against the shape `kind`; an InputError naming the first bad field."""
    try:
        checked: T = _adapter(typing.cast(Hashable, kind)).validate_python(value, strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        location = [str(part) for part in first["loc"]]
        if not location:
            raise InputError(f"{what} must be a JSON object", code="invalid_json") from None
        field = location[0]
        code = _codes(typing.cast(Hashable, kind)).get(field, f"invalid_{field}")
        problem = "is required" if first["type"] == "missing" else _lower(first["msg"])
        raise InputError(f"'{'.'.join(location)}' {problem}", code=code) from None
    return checked


def parse_typed(shapes: dict[str, type[Any]], frame: dict[str, Any]) -> Any:
    """A socket frame checked against the shape its `type` names in `shapes`; an
    InputError `unknown_type` if it names none of them."""
    kind = frame.get("type")
    shape = shapes.get(kind) if isinstance(kind, str) else None
    if shape is None:
        raise InputError(f"unknown frame type {kind!r}", code="unknown_type")
    return parse(shape, frame, "the frame")


def _lower(message: str) -> str:
    """pydantic's "Input should be ..." (or "String should ...") as "should be ..."."""
    for subject in ("Input ", "Value ", "String ", "List ", "Dictionary "):
        message = message.removeprefix(subject)
    return message


def schema(kind: Any) -> dict[str, Any]:
    """`kind`'s JSON Schema for an OpenAPI 3.0 document (inline: no shared definitions)."""
    raw = _adapter(kind).json_schema(mode="validation")
    definitions = raw.pop("$defs", {})
    return typing.cast(dict[str, Any], _openapi30(_inline(raw, definitions)))


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, definitions) for v in node]
    return node


def _openapi30(node: Any) -> Any:
    """JSON Schema 2020-12 (pydantic's) to OpenAPI 3.0's subset."""
    if isinstance(node, list):
        return [_openapi30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi30(v) for k, v in node.items() if k != "title"}
    if "properties" in node:  # property names are data, not keywords: keep them all
        out["properties"] = {k: _openapi30(v) for k, v in node["properties"].items()}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[inclusive], out[bound] = out[bound], True
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1:
            out = {**rest[0], **out, "nullable": True}
        else:
            out.update({"anyOf": rest, "nullable": True})
    return out
