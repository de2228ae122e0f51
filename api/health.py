"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api.deps import services

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    """Each part 'ok' or 'down', and nothing else: why a part is down is in the log only."""
    checks = services().readiness.parts()
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "unavailable" if down else "ok", "checks": checks, "down": down}
    return jsonify(body), 503 if down else 200
