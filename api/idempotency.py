"""The Idempotency-Key header of the write routes (core/idempotency.py has the rules).

A route marked @idempotent that is sent an Idempotency-Key takes the key before it runs,
under the fingerprint of the request: a SHA-256 of its method, path, query, media type and
body. The body is read once, as it streams in, into a spooled file that the route reads
after (memory stays bounded: past 1 MiB it is on disk); of a multipart form, the fields and
the content of each file part are hashed instead of the raw body, whose boundary a client
may choose afresh for each send. The answer is kept for the key once the request has been
answered, and replayed, with `Idempotent-Replayed: true`, to the same request sent again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from tempfile import SpooledTemporaryFile
from typing import IO, Any, TypeVar, cast

from flask import Flask, Response, g, request

from api import caller
from api.deps import services
from core.idempotency import check_key
from core.ports import StoredAnswer

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "Location", "Retry-After")
CHUNK = 64 * 1024
SPOOL_BYTES = 1024 * 1024
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def idempotent(view: F) -> F:
    """Mark a write route: sent again under the same Idempotency-Key, it is replayed."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        check_key(key)  # before the body is read
        scope = caller.key_name() or ""
        replay = services().idempotency.claim(scope, key, fingerprint())
        if replay is not None:
            return replayed(replay)
        g.idempotency_claim = (scope, key)
        return view(*args, **kwargs)

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return cast(F, wrapper)


def register(app: Flask) -> None:
    """Keep the answer of each request that took a key; release a key whose request failed
    without one."""

    @app.after_request
    def keep_answer(response: Response) -> Response:
        claim = g.pop("idempotency_claim", None)
        if claim is None:
            return response
        scope, key = claim
        try:
            if response.is_streamed:
                services().idempotency.release(scope, key)
            else:
                headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
                answer = StoredAnswer(response.status_code, response.get_data(), headers)
                services().idempotency.finish(scope, key, answer)
        except Exception:  # the answer stands; the key stays taken until it expires
            log.exception("the answer to idempotency key %r could not be kept", key)
        return response

    @app.teardown_request
    def release_unanswered(error: BaseException | None) -> None:
        claim = g.pop("idempotency_claim", None)
        if claim is not None:
            try:
                services().idempotency.release(*claim)
            except Exception:
                log.exception("idempotency key %r could not be released", claim[1])
        for spool in g.pop("idempotency_spools", []):
            spool.close()


def replayed(answer: StoredAnswer) -> Response:
    response = Response(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def fingerprint() -> str:
    """SHA-256 of the request's method, path, query, media type and body (of a form, its
    fields and the content of its files)."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string, request.mimetype):
        _add(digest, part)
    if request.mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):  # in the order sent
            _add(digest, "field", str(name), str(value))
        for name, upload in request.files.items(multi=True):
            content = hashlib.sha256()
            _hash_stream(content, upload.stream)
            upload.stream.seek(0)
            _add(digest, "file", str(name), content.hexdigest())
    else:
        spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        g.setdefault("idempotency_spools", []).append(spool)
        _hash_stream(digest, request.stream, spool)
        spool.seek(0)
        request.__dict__["stream"] = spool  # the route reads the body from the spool
    return digest.hexdigest()


def _add(digest: Any, *parts: str | bytes) -> None:
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)


def _hash_stream(digest: Any, stream: IO[bytes], copy: IO[bytes] | None = None) -> None:
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        if copy is not None:
            copy.write(chunk)
