"""The migrations build exactly the tables of infra/db/schema.py, on every database."""

import io
from contextlib import redirect_stdout

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from infra.db.engine import make_engine
from infra.db.migrate import alembic_config, upgrade
from infra.db.schema import metadata


def test_migrated_schema_equals_the_declared_one(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second start finds nothing to do
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        version = MigrationContext.configure(conn).get_current_revision()
    assert diff == []
    assert version == "0008"
    assert set(inspect(engine).get_table_names()) == {
        "alembic_version",
        "departments",
        "jobs",
        "hired_employees",
        "hire_counts",
        "load_tasks",
        "load_task_parts",
        "rejections",
    }
    engine.dispose()


def test_the_migrations_render_as_t_sql_for_sql_server():
    config = alembic_config()
    config.set_main_option(
        "sqlalchemy.url", "mssql+pyodbc://user:pass@server/db?driver=ODBC+Driver+18+for+SQL+Server"
    )
    out = io.StringIO()
    config.output_buffer = out
    with redirect_stdout(out):
        command.upgrade(config, "head", sql=True)
    sql = out.getvalue()
    assert "CREATE TABLE hired_employees" in sql
    assert "name NVARCHAR(255) NOT NULL" in sql
    assert "datetime DATETIME NOT NULL" in sql
    assert "raw NVARCHAR(max) NOT NULL" in sql
    assert "id BIGINT NOT NULL IDENTITY" in sql
    assert "GO" in sql
    for not_t_sql in ("SERIAL", "AUTOINCREMENT", "TEXT NOT NULL", "LIMIT"):
        assert not_t_sql not in sql


def test_employees_stored_before_the_summary_existed_are_counted_by_its_migration(database_url):
    from datetime import datetime

    from sqlalchemy import insert, select

    from infra.db.schema import hire_counts, hired_employees

    engine = make_engine(database_url)
    config = alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            insert(hired_employees),
            [
                {
                    "id": 1,
                    "name": "A",
                    "datetime": datetime(2021, 3, 31, 23, 59),
                    "department_id": 1,
                    "job_id": 2,
                },
                {
                    "id": 2,
                    "name": "B",
                    "datetime": datetime(2021, 1, 1),
                    "department_id": 1,
                    "job_id": 2,
                },
                {
                    "id": 3,
                    "name": "C",
                    "datetime": datetime(2021, 4, 1),
                    "department_id": 1,
                    "job_id": 2,
                },
            ],
        )
        conn.commit()
    upgrade(engine)
    with engine.connect() as conn:
        counts = sorted(tuple(r) for r in conn.execute(select(hire_counts)))
    assert counts == [(1, 2, 2021, 2, 1, 0, 0)]  # department, job, year, Q1 to Q4
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")  # back to a row a quarter
        conn.commit()
        rows = sorted(tuple(r) for r in conn.exec_driver_sql("SELECT * FROM hire_counts"))
    assert rows == [(1, 2, 2021, 1, 2), (1, 2, 2021, 2, 1)]
    engine.dispose()


def test_hire_counts_keep_room_for_updates_in_place_on_postgresql(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            options = conn.exec_driver_sql(
                "SELECT reloptions FROM pg_class WHERE relname = 'hire_counts'"
            ).scalar_one()
        assert options == ["fillfactor=50"]
    else:
        assert "fillfactor" not in str(inspect(engine).get_table_options("hire_counts"))
    engine.dispose()


def test_tasks_stored_before_bytes_were_counted_have_read_none_of_an_unknown_size(database_url):
    from datetime import datetime

    from sqlalchemy import select, text

    from infra.db.schema import load_tasks

    engine = make_engine(database_url)
    config = alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
        conn.execute(
            text(
                "INSERT INTO load_tasks (id, table_name, source, state, rows_read, created_at)"
                " VALUES ('t1', 'jobs', 'jobs.csv', 'SUCCESS', 3, :now)"
            ),
            {"now": datetime(2026, 1, 2)},
        )
        conn.commit()
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(select(load_tasks.c.bytes_read, load_tasks.c.bytes_total)).one()
    assert tuple(row) == (0, None)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
        conn.commit()
    assert "bytes_read" not in {c["name"] for c in inspect(engine).get_columns("load_tasks")}
    assert "bytes_read" not in {c["name"] for c in inspect(engine).get_columns("load_task_parts")}
    engine.dispose()
