"""Azurite, the Azure Storage emulator (npm package, pinned in package.json), on a free port."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import free_port, stop

PROJECT = Path(__file__).resolve().parent.parent
AZURITE = PROJECT / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
# The emulator's well-known development key, published in Azurite's documentation.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )


@contextmanager
def azurite(workdir: Path) -> Iterator[str]:
    """Start Azurite's blob service; yield its connection string; stop it."""
    port = free_port()
    log = (workdir / "azurite.log").open("wb")
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--loose",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"Azurite did not start: {(workdir / 'azurite.log').read_text()}"
                    ) from None
                time.sleep(0.1)
        yield connection_string(port)
    finally:
        stop(process, timeout=5)
        log.close()
