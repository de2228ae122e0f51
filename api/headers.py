"""Headers of every answer: no sniffing, no referrer, a Content-Security-Policy, no caching of
what may hold personal data, and CORS only for the origins CORS_ORIGINS names."""

from __future__ import annotations

import base64
import hashlib
import re
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
# A page the API serves (the HTML report): its own inline scripts, each allowed by its hash,
# and Function, which Vega compiles its expressions with; its inline styles; images as data.
PAGE_POLICY = (
    "default-src 'none'; script-src {hashes} 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The console: its charts are images of the report routes, its script polls and posts to the
# API, its forms go to the service.
CONSOLE_POLICY = (
    "default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_DATA_TYPE = re.compile(r"""\btype\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)
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
        headers["Content-Security-Policy"] = _policy(response)
        if request.endpoint not in CACHEABLE:
            headers["Cache-Control"] = "no-store"
        if allowed:
            _cors(response, allowed)
        return response


def _policy(response: Response) -> str:
    if request.blueprint == "docs":
        return DOCS_POLICY
    if (
        response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
    ):
        policy = CONSOLE_POLICY if request.blueprint == "console" else PAGE_POLICY
        return policy.format(hashes=" ".join(inline_script_hashes(response.get_data(True))))
    return API_POLICY


def inline_script_hashes(page: str) -> list[str]:
    """CSP sources allowing each inline script of page that runs (JSON data blocks do not)."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for attributes, body in _INLINE_SCRIPT.findall(page)
        if not _DATA_TYPE.search(attributes)
    ]


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
