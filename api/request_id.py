"""Request ids: an incoming X-Request-ID is kept (1 to 128 printable ASCII characters, no
space at either end), another is made (a UUID 4); either is echoed on the answer, put on
flask.g for the log lines written while the request is handled (logs.RequestIdFilter) and
written in its audit row."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
MAX_LENGTH = 128
_VALID = re.compile(r"[!-~]([ -~]{0,126}[!-~])?")


def register(app: Flask) -> None:
    """Give every request its id, before any other check of the request."""
    app.before_request_funcs.setdefault(None, []).insert(0, _assign)
    app.after_request(_echo)


def _assign() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if _VALID.fullmatch(given) else str(uuid.uuid4())


def _echo(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is not None:
        response.headers[HEADER] = request_id
    return response
