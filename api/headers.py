"""Headers of every answer: no sniffing, no referrer, a Content-Security-Policy, no caching of
what may hold personal data, and CORS only for the origins CORS_ORIGINS names."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response, request

# The API answers JSON and CSV: nothing in them may load or run anything.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The /docs page: Swagger UI's script and stylesheet served from here, the document fetched
# from here, the images its stylesheet holds as data: URLs, and inline style attributes.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Answers that may be cached: the Swagger UI assets, the same for everyone.
CACHEABLE = frozenset({"docs.asset", "docs.init_script"})
CORS_METHODS = "GET, POST"
CORS_HEADERS = "X-API-Key, Content-Type, Authorization"
CORS_EXPOSED = "Retry-After, Location, Content-Disposition"


def secure_headers(app: Flask, cors_origins: Sequence[str] = ()) -> None:
    allowed = frozenset(cors_origins)

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers["Content-Security-Policy"] = (
            DOCS_POLICY if request.blueprint == "docs" else API_POLICY
        )
        if request.endpoint not in CACHEABLE:
            headers["Cache-Control"] = "no-store"
        if allowed:
            _cors(response, allowed)
        return response


def _cors(response: Response, allowed: frozenset[str]) -> None:
    """Let the pages of the origins allowed call the API (with their key); nobody else."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is None or origin not in allowed:
        return
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = origin
    headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        headers["Access-Control-Allow-Methods"] = CORS_METHODS
        headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        headers["Access-Control-Max-Age"] = "600"
