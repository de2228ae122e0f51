"""Who may call what: API keys with roles, and the one table of the role each route needs.

A key is sent in the X-API-Key header, never in the query string. Roles rank
reader < writer < admin, each allowed what the one before it is. When any key is configured,
every route needs a key of at least its role (ROUTE_ROLES), except the PUBLIC ones; /metrics
also takes METRICS_TOKEN as a bearer token. Without a key: 401 unauthorized; with a key of
too low a role: 403 forbidden. The caller of each request is on flask.g as `caller`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from api.errors import error_response
from api.listings import listing_path
from config import ROLES, ApiKey
from domain.tables import TABLES

READER, WRITER, ADMIN = ROLES
PUBLIC = "public"  # answers without a key
RANK = {role: rank for rank, role in enumerate(ROLES)}

# The role each route needs, by "METHOD /path" as the OpenAPI document writes paths. The
# check of every request and the `security` of every operation of /openapi.json are made
# from it; a route missing from it needs an admin key.
ROUTE_ROLES: dict[str, str] = {
    "GET /health": PUBLIC,
    "GET /health/ready": PUBLIC,  # each part up or down, nothing more
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/assets/docs-init.js": PUBLIC,
    "GET /docs/assets/{name}": PUBLIC,
    "GET /": READER,  # the console
    "GET /console/key": PUBLIC,  # the console's key form
    "POST /console/key": PUBLIC,
    **{f"GET {listing_path(spec)}": READER for spec in TABLES.values()},
    "GET /rejections": READER,
    "GET /task-status/{task_id}": READER,
    "GET /task-list": READER,
    "GET /report/hired-by-quarter": READER,
    "GET /report/hiring-above-average": READER,
    "POST /upload-files": WRITER,
    "POST /upload/{table}": WRITER,
    "POST /batch/{table}": WRITER,
    "POST /task/{task_id}/cancel": ADMIN,
    "POST /task/{task_id}/retry": ADMIN,
    "GET /backups": ADMIN,
    "POST /backup/{table}": ADMIN,
    "POST /backup": ADMIN,
    "POST /restore/{table}": ADMIN,
    "POST /restore": ADMIN,
    "GET /audit": ADMIN,
    "GET /metrics": ADMIN,  # or METRICS_TOKEN
}
# Routes that also take METRICS_TOKEN in `Authorization: Bearer <token>`.
BEARER_ROUTES = frozenset({"GET /metrics"})
# Routes of the documents, which the OpenAPI document does not list.
UNDOCUMENTED = frozenset({"GET /docs/assets/docs-init.js", "GET /docs/assets/{name}"})

_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Caller:
    """Who sent the request: the name and role of its valid key, or None and None (no key
    configured, no key sent, or a key that is not valid)."""

    key_name: str | None
    role: str | None


NOBODY = Caller(None, None)
# The console's page, and the cookie in which a browser sends its key after the key form.
CONSOLE = "GET /"
KEY_COOKIE = "hr_api_key"


def route_name(method: str, rule: str) -> str:
    """ "GET /batch/{table}" for a GET on the Flask rule /batch/<table>."""
    path = _VARIABLE.sub(r"{\1}", rule)
    return f"{'GET' if method == 'HEAD' else method} {path}"


def required_role(name: str) -> str:
    return ROUTE_ROLES.get(name, ADMIN)


def allows(role: str | None, needed: str) -> bool:
    if needed == PUBLIC:
        return True
    return role is not None and RANK[role] >= RANK[needed]


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


class Guard:
    """Identifies the caller of each request and lets it through or answers 401/403."""

    def __init__(self, keys: Sequence[ApiKey], metrics_token: str | None) -> None:
        self.keys = [(_digest(k.secret), Caller(k.name, k.role)) for k in keys]
        self.metrics_token = _digest(metrics_token) if metrics_token else None

    def identify(self) -> None:
        """Put the caller on flask.g: the key of X-API-Key, compared in constant time."""
        g.caller = self.caller()

    def caller(self) -> Caller:
        """The caller of X-API-Key; a browser on the console sends its key in a cookie."""
        given = request.headers.get("X-API-Key")
        if given is None:
            given = request.cookies.get(KEY_COOKIE)
        return self.caller_of(given)

    def caller_of(self, given: str | None) -> Caller:
        if not self.keys or given is None:
            return NOBODY
        digest = _digest(given)
        found = NOBODY
        for secret, caller in self.keys:  # every key compared, whichever matches
            if hmac.compare_digest(digest, secret):
                found = caller
        return found

    def check(self) -> WerkzeugResponse | None:
        """401 without a valid key (or token), 403 with a key of too low a role."""
        if request.url_rule is None or request.method == "OPTIONS":
            return None  # 404 and 405 answers; OPTIONS lists the methods only
        name = route_name(request.method, request.url_rule.rule)
        needed = required_role(name)
        if name in BEARER_ROUTES and self.metrics_token is not None:
            if self._bearer_matches():
                return None
        elif not self.keys or needed == PUBLIC:
            return None
        caller: Caller = g.get("caller", NOBODY)
        if caller.role is None and name == CONSOLE:
            return redirect(url_for("console.key_form"), 303)  # a person: the key form
        if caller.role is None:
            return _unauthorized(name in BEARER_ROUTES and self.metrics_token is not None)
        if not allows(caller.role, needed):
            return error_response(
                403,
                "forbidden",
                f"this route needs a key of role {needed}; key {caller.key_name!r} is a "
                f"{caller.role}",
                {"needed": needed, "role": caller.role},
            )
        return None

    def _bearer_matches(self) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or self.metrics_token is None:
            return False
        return hmac.compare_digest(_digest(token.strip()), self.metrics_token)


def _unauthorized(bearer: bool) -> Response:
    message = "a valid API key is required in the X-API-Key header"
    if bearer:
        message += ", or the metrics token in Authorization: Bearer"
    response = error_response(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = (
        'Bearer realm="metrics"' if bearer else 'ApiKey header="X-API-Key"'
    )
    return response


def guard(keys: Sequence[ApiKey], metrics_token: str | None) -> Guard:
    """What identifies the caller of each request, then checks it may call the route."""
    return Guard(keys, metrics_token)
