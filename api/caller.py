"""Who sends the request: the API key's name and role that authentication put on flask.g.

Authentication sets `g.caller` (key_name, role; both None when no keys are configured); a
request it has not seen, or that carries no key, has no name and no role.
"""

from __future__ import annotations

from flask import g


def key_name() -> str | None:
    name = getattr(getattr(g, "caller", None), "key_name", None)
    return name if isinstance(name, str) else None


def role() -> str | None:
    found = getattr(getattr(g, "caller", None), "role", None)
    return found if isinstance(found, str) else None
