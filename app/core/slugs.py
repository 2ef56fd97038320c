"""Slugs: lowercase ASCII words joined by hyphens, never shaped like a UUID; refs (an id or a
slug) and what they find."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from slugify import slugify

from app.core.errors import invalid

SLUG_MAX = 200
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SLUG_RE = re.compile(SLUG_PATTERN)
R = TypeVar("R")


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def make_slug(text: str, *, fallback: str) -> str:
    """A slug from a title or name, transliterated (``马里`` → ``ma-li``)."""
    # Apostrophes join the word rather than split it: "Mali's" → "malis".
    slug = slugify(
        text, max_length=120, word_boundary=True, replacements=[["\u2019", ""], ["'", ""]]
    )
    if not slug:
        return fallback
    # A UUID-shaped slug would be read as an id by /{ref} routes.
    return f"{fallback}-{slug}" if is_uuid(slug) else slug


def slug_problem(slug: str) -> str | None:
    """Why a slug given by a client is not acceptable, or None."""
    if len(slug) > SLUG_MAX:
        return f"A slug has at most {SLUG_MAX} characters."
    if not _SLUG_RE.match(slug):
        return "A slug is lowercase ASCII letters and digits separated by single hyphens."
    if is_uuid(slug):
        return "A slug must not look like a UUID."
    return None


def fold_name(name: str) -> str:
    """The key names are compared by: case, accents and spacing ignored (António = antonio)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def could_be_ref(ref: str) -> bool:
    """Whether ``ref`` can name anything: an id, or something shaped like a slug."""
    return is_uuid(ref) or slug_problem(ref) is None


@dataclass(frozen=True, slots=True)
class Found(Generic[R]):
    """A resource found by ``ref``; ``moved_to`` is set when ``ref`` was a former slug."""

    item: R | None
    moved_to: str | None = None


def current(found: Found[R], ref: str) -> R:
    """What a write addresses: by id or current slug only, never a former one."""
    if found.item is None:
        raise invalid(["path", "ref"], f"{ref!r} is a former slug of {found.moved_to!r}.")
    return found.item
