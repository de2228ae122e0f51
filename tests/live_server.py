"""Runs the service as its own process on a free loopback port, for tests over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(
    command: Sequence[str], env: Mapping[str, str], url: str, log: Path, timeout: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """Start command, wait until url answers 200, yield the process, then stop it."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(url, process, log, timeout)
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Ask the process to end; kill it if it has not within timeout seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s:\n{log.read_text()}")
