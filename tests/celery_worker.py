"""A real Celery worker process: `celery -A main.celery_app worker`, as deployed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import stop

PROJECT = Path(__file__).resolve().parent.parent


def start_worker(env: Mapping[str, str], log: Path, name: str = "w1") -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "main.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--hostname",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=PROJECT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def worker(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(env, log)
    try:
        yield process
    finally:
        stop(process)
