"""JSON merge patch (RFC 7396) for the object-valued fields of a resource.

Top-level fields are applied by the services (a given field replaces, ``null``
clears); an object-valued field such as an article's ``image`` merges member by
member with what is stored, and the result is checked as a whole.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import TypeAdapter, ValidationError

from app.core.errors import UnprocessableContent, field_error, invalid

NestedFields = Mapping[str, TypeAdapter[Any]]
NO_NESTED_FIELDS: NestedFields = MappingProxyType({})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 §2: objects merge member by member, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def merge_nested(current: object, values: dict[str, Any], nested: NestedFields) -> dict[str, Any]:
    """``values`` with each object-valued field merged into ``current``'s and validated."""
    merged = dict(values)
    for name, adapter in nested.items():
        patch = values.get(name)
        if not isinstance(patch, dict):
            continue
        value = merge_patch(getattr(current, name) or {}, patch)
        try:
            merged[name] = adapter.dump_python(adapter.validate_python(value))
        except ValidationError as exc:
            errors = [
                field_error(["body", name, *e["loc"]], e["msg"], e["type"]) for e in exc.errors()
            ]
            raise UnprocessableContent(
                f"The merged {name} is not valid: {', '.join(e['field'] for e in errors)}.",
                errors=errors,
            ) from None
    return merged


def refuse_nulls(values: Mapping[str, Any], not_null: Collection[str]) -> None:
    """422 when ``values`` sets one of ``not_null``, fields that always have a value, to null."""
    for name in not_null:
        if name in values and values[name] is None:
            raise invalid(["body", name], f"{name} cannot be null.")
