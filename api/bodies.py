"""Request bodies are what they say, and no larger than MAX_UPLOAD_MB, before any is parsed.

Every POST route takes JSON, or nothing: a body, or a Content-Type, other than
application/json is 415 unsupported_media_type (so a cross-site form, which can only send
form or text/plain bodies, reaches no route). The upload route takes a multipart form or a
text/csv body, or nothing at all (then it loads the source's own file). A body over the limit
is 413 request_entity_too_large whether its length is declared or it comes in chunks: a
chunked body is read into a spooled temporary file up to the limit, and handed on as a body of
known length.
"""

from __future__ import annotations

import tempfile

from flask import Flask, g, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

JSON = "application/json"
UPLOAD_ENDPOINT = "loads.upload_table"
UPLOAD_TYPES = ("multipart/form-data", "text/csv")
# The console's key form: a form, sent from the service's own page only.
FORM_ENDPOINT = "console.take_key"
FORM = "application/x-www-form-urlencoded"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_READ_BYTES = 64 * 1024
_IN_MEMORY_BYTES = 1024 * 1024  # a spooled body larger than this goes to a temporary file


def check_bodies(app: Flask, max_bytes: int) -> None:
    """Check the body of every request before its route sees it (after its key is checked)."""

    @app.before_request
    def check() -> None:
        if request.method not in _BODY_METHODS or request.url_rule is None:
            return
        declared = request.headers.get("Content-Length")
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        has_body = chunked or (declared is not None and declared.strip() not in ("", "0"))
        given_type = request.headers.get("Content-Type", "").strip()
        if request.endpoint == UPLOAD_ENDPOINT:
            if (has_body or given_type) and request.mimetype not in UPLOAD_TYPES:
                raise UnsupportedMediaType(
                    "an upload is a multipart/form-data form with one 'file' part, or a "
                    "text/csv body"
                )
        elif request.endpoint == FORM_ENDPOINT:
            if request.mimetype != FORM:
                raise UnsupportedMediaType("the key form is sent as a form")
        elif (has_body or given_type) and request.mimetype != JSON:
            raise UnsupportedMediaType("this route takes a JSON body (application/json) or none")
        if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
            raise RequestEntityTooLarge(_too_large(max_bytes))
        if chunked and declared is None:
            _spool(max_bytes)

    @app.teardown_request
    def close_spooled(_: BaseException | None = None) -> None:
        spooled = g.pop("spooled_body", None)
        if spooled is not None:
            spooled.close()


def _spool(max_bytes: int) -> None:
    """Read a chunked body into a temporary file, 413 past max_bytes, and make it the body."""
    source = request.environ["wsgi.input"]
    spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES)  # noqa: SIM115
    total = 0
    try:
        while chunk := source.read(_READ_BYTES):
            total += len(chunk)
            if total > max_bytes:
                raise RequestEntityTooLarge(_too_large(max_bytes))
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    request.environ["wsgi.input"] = spool
    request.environ["CONTENT_LENGTH"] = str(total)
    request.__dict__.pop("content_length", None)  # should anything have read it before
    g.spooled_body = spool


def _too_large(max_bytes: int) -> str:
    return f"the body is larger than {max_bytes // (1024 * 1024)} MiB (MAX_UPLOAD_MB)"
