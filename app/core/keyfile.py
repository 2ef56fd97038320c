"""``LEDE_SECRET_KEY``, or one made on first start and kept in the data folder for the next."""

from __future__ import annotations

import contextlib
import os
import secrets

from app.core.config import Settings

KEY_FILE = "secret_key"


def secret_key(settings: Settings) -> str:
    """The configured key; else the one in the data folder, made there (mode 600) if missing.

    Several workers may start at once: the key is written to a file of its own and
    linked into place, which fails for all but the first; the others read it.
    """
    if settings.secret_key is not None:
        return settings.secret_key
    path = settings.data_dir / KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    try:
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink()
    return path.read_text(encoding="utf-8").strip()
