"""The Postman collection of Documentation/, run by newman against a live server."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, unavailable
from tests.live_server import free_port, running

NEWMAN = PROJECT / "node_modules" / ".bin" / "newman"


@pytest.mark.newman
def test_the_postman_collection_passes_against_python_main(tmp_path, source_dir):
    if not NEWMAN.exists():
        unavailable("newman is not installed: run `npm ci` (make test does)")
    port = free_port()
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "CSV_SOURCE_DIR": str(source_dir),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "API_KEYS": "postman:postman-key:admin",
    }
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "main.py"], env, f"{url}/health", tmp_path / "server.log"):
        result = subprocess.run(
            [
                str(NEWMAN),
                "run",
                "postman_collection.json",
                "--env-var",
                f"baseUrl={url}",
                "--env-var",
                "apiKey=postman-key",
                "--working-dir",
                str(PROJECT / "Documentation"),
                "--reporters",
                "cli",
                "--bail",
            ],
            cwd=PROJECT / "Documentation",
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "│              assertions │" in result.stdout
    shutil.rmtree(tmp_path / "backups", ignore_errors=True)
