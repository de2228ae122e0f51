"""Rate limits with Flask-Limiter: RATE_LIMIT requests per key across every route, or per
remote address for requests without a valid key; /health is never limited.

The counts are kept where the settings say (Redis, shared by every process, or in this
process's memory). Should the store be unreachable, each process counts in its own memory
until it is back, rather than refuse or fail requests. A request over the limit answers 429
too_many_requests with Retry-After, the seconds until the window ends.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from api.errors import error_response
from api.security import NOBODY, Caller

log = logging.getLogger(__name__)

# Not limited: liveness, which orchestrators probe as often as they like.
UNLIMITED = frozenset({"health.health"})
# How long a request waits for the store of the counts before counting in memory instead.
STORE_TIMEOUT_SECONDS = 1


def caller_identity() -> str:
    """What a request is counted against: its key, or its remote address."""
    caller: Caller = g.get("caller", NOBODY)
    if caller.key_name is not None:
        return f"key:{caller.key_name}"
    return f"address:{request.remote_addr or 'unknown'}"


def rate_limit(app: Flask, limit: str, storage_uri: str) -> Limiter:
    """Count every request but the UNLIMITED ones against `limit`. Register it after the
    caller is identified (its counts are by key) and before the key is checked (so that
    guessing keys is limited by address too)."""
    options: dict[str, str | int] = {}
    if storage_uri.startswith(("redis://", "rediss://")):
        options = {
            "socket_connect_timeout": STORE_TIMEOUT_SECONDS,
            "socket_timeout": STORE_TIMEOUT_SECONDS,
        }
    limiter = Limiter(
        caller_identity,
        application_limits=[limit],
        storage_uri=storage_uri,
        storage_options=options,
        strategy="fixed-window",
        headers_enabled=False,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        in_memory_fallback=[limit],
        key_prefix="hr-rate",
    )
    limiter.request_filter(lambda: request.endpoint in UNLIMITED)
    limiter.init_app(app)
    app.extensions["hr_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error: RateLimitExceeded) -> Response:
        window = error.limit.limit
        response = error_response(
            429,
            "too_many_requests",
            f"more than {window} requests; try again after Retry-After seconds",
            {"limit": str(window)},
        )
        response.headers["Retry-After"] = str(_retry_after(limiter, window.get_expiry()))
        return response

    return limiter


def _retry_after(limiter: Limiter, window_seconds: int) -> int:
    """Seconds until the window of the limit that was passed ends (at least 1)."""
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, int(current.reset_at - time.time()))
    except Exception:  # the store went away meanwhile: the length of the window
        log.warning("the rate limit store did not say when the window ends", exc_info=True)
    return max(1, window_seconds)
