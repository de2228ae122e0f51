"""Headers of every answer: nosniff, no referrer, a Content-Security-Policy the /docs page
works under, no-store on personal data, no Server banner, CORS only for CORS_ORIGINS."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from config import Settings, SettingsError
from main import create_app
from tests.conftest import PROJECT, load
from tests.live_server import free_port, running

SCRIPTS = Path(sys.executable).parent
BI = "https://bi.example.com"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Headers do not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'hr.sqlite3'}"


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_every_answer_has_the_security_headers(client):
    for response in (
        client.get("/health"),
        client.get("/jobs"),
        client.get("/nope"),
        client.post("/batch/jobs", data="x", content_type="text/plain"),
        client.get("/docs"),
        client.get("/docs/assets/swagger-ui.css"),
        client.get("/openapi.json"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Server" not in response.headers
        csp = policy(response.headers["Content-Security-Policy"])
        assert csp["frame-ancestors"] == ["'none'"]


def test_api_answers_may_load_nothing(client):
    csp = policy(client.get("/jobs").headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert "script-src" not in csp


def test_the_docs_page_loads_only_what_its_policy_allows(client):
    page = client.get("/docs")
    csp = policy(page.headers["Content-Security-Policy"])
    html = page.get_data(as_text=True)
    # scripts: files of this origin only, none inline, no eval
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
    assert scripts and all(body.strip() == "" for _, body in scripts)
    sources = [re.search(r'src="([^"]+)"', attributes).group(1) for attributes, _ in scripts]
    assert all(s.startswith("/docs/assets/") for s in sources)
    assert "'self'" in csp["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(csp["script-src"])
    # the stylesheet: of this origin; Swagger UI also sets style attributes
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert sheets == ["/docs/assets/swagger-ui.css"]
    assert {"'self'", "'unsafe-inline'"} <= set(csp["style-src"])
    # the images the stylesheet holds are data: URLs
    css = client.get(sheets[0]).get_data(as_text=True)
    assert "url(data:image/" in css or 'url("data:image/' in css
    assert {"'self'", "data:"} <= set(csp["img-src"])
    # the page fetches the document (and tries requests) from this origin
    init = client.get("/docs/assets/docs-init.js").get_data(as_text=True)
    assert "url: '/openapi.json'" in init
    assert csp["connect-src"] == ["'self'"]
    assert "validatorUrl: null" in init  # no image from an outside validator
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_answers_with_personal_data_are_never_stored(client):
    task = load(client, "/upload-files")
    for path in (
        "/hired-employees",
        "/departments",
        "/jobs",
        "/rejections",
        f"/task-status/{task['task_id']}",
        "/task-list",
        "/report/hired-by-quarter?year=2021",
        "/report/hired-by-quarter?year=2021&format=csv",
        "/report/hiring-above-average?year=2021&format=csv",
        "/backups",
        "/nope",
    ):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    batch = client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "a"}]})
    assert batch.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/docs/assets/swagger-ui.css").headers.get(
        "Cache-Control", ""
    )


def test_no_cors_unless_origins_are_named(client):
    response = client.get("/jobs", headers={"Origin": BI})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/jobs", headers={"Origin": BI, "Access-Control-Request-Method": "GET"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


@pytest.fixture
def cors_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(
        replace(settings, cors_origins=(BI,), api_keys=("bi:bi-key-1:reader",))  # type: ignore[arg-type]
    )
    yield app
    app.extensions["hr_services"].close()


def test_cors_lets_the_named_origins_call_with_their_key(cors_app):
    client = cors_app.test_client()
    preflight = client.options(
        "/jobs",
        headers={
            "Origin": BI,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )
    assert preflight.status_code == 200  # a preflight carries no key
    assert preflight.headers["Access-Control-Allow-Origin"] == BI
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]
    answer = client.get("/jobs", headers={"Origin": BI, "X-API-Key": "bi-key-1"})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == BI
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    assert "Origin" in answer.headers["Vary"]
    other = client.get("/jobs", headers={"Origin": "https://evil.example", "X-API-Key": "x"})
    assert "Access-Control-Allow-Origin" not in other.headers
    other_preflight = client.options(
        "/jobs",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in other_preflight.headers
    assert "Access-Control-Allow-Methods" not in other_preflight.headers


def test_cors_origins_are_origins():
    settings = Settings.from_env({"CORS_ORIGINS": "https://bi.example.com/, http://a:8080"})
    assert settings.cors_origins == ("https://bi.example.com", "http://a:8080")
    for bad in ("*", "bi.example.com", "https://bi.example.com/path", "ftp://x", "https://*.x"):
        with pytest.raises(SettingsError, match="CORS_ORIGINS"):
            Settings.from_env({"CORS_ORIGINS": bad})


def headers_of(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}


@pytest.mark.parametrize("server", ["python main.py", "gunicorn"])
def test_no_server_banner_from_either_server(tmp_path, source_dir, server):
    port = free_port()
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "CSV_SOURCE_DIR": str(source_dir),
    }
    command = (
        [sys.executable, "main.py"]
        if server == "python main.py"
        else [str(SCRIPTS / "gunicorn"), "main:create_app()"]  # with ./gunicorn.conf.py
    )
    url = f"http://127.0.0.1:{port}"
    with running(command, env, f"{url}/health", tmp_path / "server.log"):
        for path in ("/health", "/jobs", "/docs"):
            headers = headers_of(url + path)
            assert "server" not in headers, (path, headers)
            assert headers["x-content-type-options"] == "nosniff"
        # a request the server itself refuses, before the app sees it
        raw = subprocess.run(
            [sys.executable, "-c", RAW_BAD_REQUEST, str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=PROJECT,
        )
        assert raw.returncode == 0, raw.stderr
        assert raw.stdout.startswith("HTTP/1."), raw.stdout
        assert "\nserver:" not in raw.stdout.lower(), raw.stdout


RAW_BAD_REQUEST = """
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
    s.sendall(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\nBad Header Line\\r\\n\\r\\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
        if b"\\r\\n\\r\\n" in data:
            break
print(data.decode("latin-1").split("\\r\\n\\r\\n")[0].replace("\\r\\n", "\\n"))
"""


def test_the_html_report_runs_under_its_policy_and_nothing_else_does(client):
    load(client, "/upload-files")
    page = client.get("/report/hired-by-quarter?year=2021&format=html")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    csp = policy(page.headers["Content-Security-Policy"])
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
    running = [body for attributes, body in scripts if "application/json" not in attributes]
    assert running  # the bundle that draws the chart, and the call that draws it
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in running
    }
    assert set(csp["script-src"]) == expected | {"'unsafe-eval'"}  # Vega compiles with Function
    assert "'unsafe-inline'" in csp["style-src"]
    assert csp["default-src"] == ["'none'"]
    assert "connect-src" not in csp  # it fetches nothing
    assert not re.search(r"""(src|href)=["']?https?:""", html)
    assert page.headers["Cache-Control"] == "no-store"
