"""Writes Documentation/schema/*.sql: the migrations as plain SQL, one file per database."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command

from infra.db.migrate import alembic_config

OUT = Path(__file__).resolve().parent.parent / "Documentation" / "schema"
URLS = {
    "sqlite": "sqlite:///hr.sqlite3",
    "postgresql": "postgresql+psycopg://user@host/hr",
    "sqlserver": "mssql+pyodbc://user:pass@host/hr?driver=ODBC+Driver+18+for+SQL+Server",
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, url in URLS.items():
        config = alembic_config()
        config.set_main_option("sqlalchemy.url", url)
        buffer = io.StringIO()
        config.output_buffer = buffer
        command.upgrade(config, "head", sql=True)
        header = f"-- The schema of the HR migration service on {name}, from its migrations.\n"
        header += "-- Written by scripts/make_schema_sql.py; the service applies the migrations itself.\n\n"
        (OUT / f"{name}.sql").write_text(header + buffer.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    main()
