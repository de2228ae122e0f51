"""gunicorn as the container runs it (./gunicorn.conf.py): slow clients do not take it down,
requests over its limits are refused before the app sees them, and a chunked body over
MAX_UPLOAD_MB is a 413."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PROJECT
from tests.live_server import free_port, running

SCRIPTS = Path(sys.executable).parent
SLOW_CLIENTS = 10


def gunicorn_config(environ: dict[str, str] | None = None) -> ModuleType:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", PROJECT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (environ or {}).items():
            patch.setenv(name, value)
        spec.loader.exec_module(module)
    return module


@contextmanager
def gunicorn(tmp_path: Path, source_dir: Path, **env: str) -> Iterator[int]:
    """gunicorn with ./gunicorn.conf.py (as the image runs it), two workers as in the image."""
    port = free_port()
    settings = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "CSV_SOURCE_DIR": str(source_dir),
        **env,
    }
    command = [str(SCRIPTS / "gunicorn"), "main:create_app()"]
    url = f"http://127.0.0.1:{port}/health"
    with running(command, settings, url, tmp_path / "gunicorn.log"):
        yield port


def test_the_config_sets_limits_and_threads():
    config = gunicorn_config()
    assert config.worker_class == "gthread"
    assert config.threads >= 2 * SLOW_CLIENTS // config.workers
    assert config.limit_request_line == 4094
    assert config.limit_request_fields == 50
    assert config.limit_request_field_size == 8190
    assert (config.timeout, config.graceful_timeout, config.keepalive) == (120, 30, 5)
    tuned = gunicorn_config({"GUNICORN_THREADS": "8", "GUNICORN_TIMEOUT": "60"})
    assert (tuned.threads, tuned.timeout) == (8, 60)


def trickle(port: int, stop: threading.Event, started: threading.Barrier) -> None:
    """A client that sends its headers a few bytes at a time and never finishes them."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: slow\r\n")
        started.wait()
        n = 0
        while not stop.is_set():
            sock.sendall(b"X-Slow-%d: 1\r\n" % n)
            n += 1
            stop.wait(0.5)


def test_ten_slow_clients_leave_health_answering_within_a_second(tmp_path, source_dir):
    with gunicorn(tmp_path, source_dir) as port:
        stop = threading.Event()
        started = threading.Barrier(SLOW_CLIENTS + 1)
        clients = [
            threading.Thread(target=trickle, args=(port, stop, started), daemon=True)
            for _ in range(SLOW_CLIENTS)
        ]
        for client in clients:
            client.start()
        try:
            started.wait(timeout=10)
            time.sleep(1)  # the slow clients hold their connections
            for _ in range(5):
                begun = time.monotonic()
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health", timeout=1
                ) as response:
                    assert response.status == 200
                assert time.monotonic() - begun < 1
                time.sleep(0.3)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=5)


def raw(port: int, request: bytes) -> str:
    """The status line gunicorn answers to a raw request."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n" not in data and (chunk := sock.recv(4096)):
            data += chunk
    return data.split(b"\r\n")[0].decode("latin-1")


def test_requests_over_the_limits_are_refused_by_gunicorn(tmp_path, source_dir):
    with gunicorn(tmp_path, source_dir) as port:
        long_line = b"GET /health?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        assert raw(port, long_line).split()[1] in ("400", "414")
        many = b"".join(b"X-H-%d: 1\r\n" % n for n in range(60))
        assert raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n").split()[1] in (
            "400",
            "431",
        )
        big = b"X-Big: " + b"b" * 9000 + b"\r\n"
        assert raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n").split()[1] in (
            "400",
            "431",
        )
        assert raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").split()[1] == "200"


def test_a_chunked_body_over_the_limit_is_a_413_under_gunicorn(tmp_path, source_dir):
    with gunicorn(tmp_path, source_dir, MAX_UPLOAD_MB="1") as port:
        for path, content_type in (
            ("/batch/jobs", "application/json"),
            ("/upload/jobs", "text/csv"),
        ):
            status, body = post_chunked(port, path, content_type, 2 * 1024 * 1024)
            assert (status, body["error"]["code"]) == (413, "request_entity_too_large")
        status, body = post_chunked(port, "/upload/jobs", "text/csv", 0, b"1,Welder\n")
        assert status == 202, body
    assert (
        not (source_dir / "uploads").exists() or len(list((source_dir / "uploads").iterdir())) == 1
    )


def post_chunked(
    port: int, path: str, content_type: str, size: int, body: bytes = b""
) -> tuple[int, dict]:
    def pieces() -> Iterator[bytes]:
        if body:
            yield body
        sent = 0
        while sent < size:
            piece = b"1" * min(64 * 1024, size - sent)
            sent += len(piece)
            yield piece

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # the server may answer and close before the whole body is sent
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request(
                "POST",
                path,
                body=pieces(),
                headers={"Content-Type": content_type},
                encode_chunked=True,
            )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_the_image_serves_with_gunicorn_and_its_config():
    lines = (PROJECT / "Dockerfile").read_text().splitlines()
    command = json.loads(next(line for line in lines if line.startswith("CMD "))[4:])
    assert command == ["gunicorn", "--config", "gunicorn.conf.py", "main:create_app()"]
    makefile = (PROJECT / "Makefile").read_text()
    assert "gunicorn --config gunicorn.conf.py" in makefile
    assert "for a desk" in makefile
