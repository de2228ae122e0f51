"""API keys for writes: every POST needs a configured key in X-API-Key, when keys are set."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Response, request

from api.errors import error_response


def require_api_key(keys: tuple[str, ...]) -> Callable[[], Response | None]:
    encoded = [k.encode() for k in keys]

    def check() -> Response | None:
        if not encoded or request.method != "POST":
            return None
        given = request.headers.get("X-API-Key", "").encode()
        if any(hmac.compare_digest(given, key) for key in encoded):
            return None
        return error_response(
            401, "unauthorized", "a valid API key is required in the X-API-Key header"
        )

    return check
