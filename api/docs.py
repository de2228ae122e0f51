"""The OpenAPI document and an interactive page served from installed assets, offline."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from api.openapi import build_spec

bp = Blueprint("docs", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HR migration service API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body></html>
"""
# validatorUrl null: the page never sends the document's address to an outside validator.
_INIT = (
    "window.ui = SwaggerUIBundle("
    "{url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null});\n"
)


@bp.get("/openapi.json")
def openapi() -> Response:
    spec = current_app.extensions.get("hr_openapi")
    if spec is None:
        spec = current_app.extensions["hr_openapi"] = build_spec(
            current_app.config.get("VERSION", "1.0.0")
        )
    return jsonify(spec)


@bp.get("/docs")
def page() -> Response:
    return Response(_PAGE, mimetype="text/html")


@bp.get("/docs/assets/docs-init.js")
def init_script() -> Response:
    return Response(_INIT, mimetype="text/javascript")


@bp.get("/docs/assets/<path:name>")
def asset(name: str) -> Response:
    return send_from_directory(swagger_ui_path, name)
