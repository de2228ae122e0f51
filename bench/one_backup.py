"""One measured backup of hired_employees in its own process, for its peak memory.

python -m bench.one_backup DATABASE_URL FOLDER
"""

from __future__ import annotations

import json
import sys
import time
from functools import partial
from pathlib import Path

from bench.machine import peak_rss_mb
from core.backups import Backups
from infra.backup.folder_store import FolderBackupStore
from infra.db.engine import make_engine
from infra.db.unit_of_work import SqlUnitOfWork


def main() -> None:
    url, folder = sys.argv[1], Path(sys.argv[2])
    engine = make_engine(url)
    backups = Backups(partial(SqlUnitOfWork, engine), FolderBackupStore(folder))
    before = peak_rss_mb()
    started = time.perf_counter()
    (made,) = backups.backup(["hired_employees"])
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "rows": made.meta.rows,
                "bytes": made.size,
                "seconds": seconds,
                "rss_before_mb": before,
                "peak_rss_mb": peak,
            }
        )
    )


if __name__ == "__main__":
    main()
