"""Every statement the service issues is valid T-SQL for SQL Server / Azure SQL.

No SQL Server runs here: the service runs a whole workflow on SQLite, each SQLAlchemy
statement it issues is captured and compiled with the mssql dialect, and the T-SQL is
checked for what SQL Server refuses (FILTER, LIMIT, more than 2100 parameters).
"""

import re

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.dialects import mssql
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlalchemy.sql import ClauseElement

from tests.conftest import load

SQL_SERVER_MAX_PARAMETERS = 2100


@pytest.fixture
def statements():
    captured: list[ClauseElement] = []

    def capture(conn, clause, multiparams, params, execution_options):
        if isinstance(clause, ClauseElement):
            captured.append(clause)

    event.listen(Engine, "before_execute", capture)
    yield captured
    event.remove(Engine, "before_execute", capture)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_statement_of_a_workflow_compiles_to_t_sql(statements, client):
    load(client)
    load(client)  # a reload: every row looked up, none inserted
    # sparse ids: looked up in IN lists rather than one range scan
    big = [{"id": i, "job": f"J{i}"} for i in range(10_000, 20_000, 10)]
    client.post("/batch/jobs", json={"rows": big})
    assert client.post("/backup").status_code == 201
    assert client.post("/restore").status_code == 200
    assert client.post("/restore/departments").status_code == 200
    for path in (
        "/report/hired-by-quarter?year=2021",
        "/report/hiring-above-average?year=2022",
        "/departments?page=2&per_page=5",
        "/jobs",
        "/hired-employees",
        "/rejections?table=jobs&per_page=3",
        "/task-list",
        "/health/ready",
    ):
        assert client.get(path).status_code == 200, path
    assert len(statements) > 20
    dialect = mssql_pyodbc.dialect(paramstyle="qmark")  # as pyodbc sends it
    kinds = set()
    most_parameters = 0
    for clause in statements:
        compiled = clause.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        sql = str(compiled)
        kinds.add(sql.split()[0])
        assert not re.search(r"\bFILTER\s*\(", sql), sql
        assert not re.search(r"\bLIMIT\b", sql), sql
        assert "EXTRACT" not in sql.upper(), sql
        parameters = sql.count("?")
        assert parameters <= SQL_SERVER_MAX_PARAMETERS, sql[:200]
        most_parameters = max(most_parameters, parameters)
        if "OFFSET" in sql:
            assert "ORDER BY" in sql and "FETCH NEXT" in sql, sql
    assert {"SELECT", "INSERT", "UPDATE", "DELETE"} <= kinds
    assert most_parameters == 1000  # the id lookup of the 1000-row batch, in one IN list


@pytest.mark.parametrize("table", ["departments", "jobs", "hired_employees"])
def test_the_bulk_insert_statement_is_t_sql(table):
    from infra.db.schema import data_table

    sql = str(data_table(table).insert().compile(dialect=mssql_pyodbc.dialect(paramstyle="qmark")))
    columns = ", ".join(c.name for c in data_table(table).columns)
    marks = ", ".join("?" for _ in data_table(table).columns)
    assert sql == f"INSERT INTO {table} ({columns}) VALUES ({marks})"


def test_hire_counts_are_merged_on_sql_server():
    from infra.db.hire_counts import SQL_SERVER_MERGE

    assert SQL_SERVER_MERGE == (
        "MERGE hire_counts WITH (HOLDLOCK) AS target "
        "USING (VALUES (?, ?, ?, ?, ?, ?, ?)) AS source (department_id, job_id, year, q1, q2, q3, q4) "
        "ON target.year = source.year AND target.department_id = source.department_id "
        "AND target.job_id = source.job_id "
        "WHEN MATCHED THEN UPDATE SET q1 = target.q1 + source.q1, q2 = target.q2 + source.q2, "
        "q3 = target.q3 + source.q3, q4 = target.q4 + source.q4 "
        "WHEN NOT MATCHED THEN INSERT (department_id, job_id, year, q1, q2, q3, q4) "
        "VALUES (source.department_id, source.job_id, source.year, "
        "source.q1, source.q2, source.q3, source.q4);"  # SQL Server requires the semicolon
    )
    assert "ON CONFLICT" not in SQL_SERVER_MERGE


def test_the_quarter_report_reads_one_row_per_department_and_job_on_sql_server():
    from infra.db.report_queries import quarter_query

    sql = str(quarter_query(2021).compile(dialect=mssql.dialect()))
    assert "CAST(hire_counts.q1 AS INTEGER) AS q1" in sql
    assert "CAST(hire_counts.q4 AS INTEGER) AS q4" in sql
    assert "WHERE hire_counts.year = :year_1 AND CAST(hire_counts.q1 AS INTEGER) + " in sql
    assert "GROUP BY" not in sql  # one stored row per department, job and year


def test_the_sql_server_engine_uses_fast_executemany():
    pyodbc = pytest.importorskip("pyodbc", reason="pyodbc needs unixODBC (make test installs it)")
    from infra.db.engine import make_engine

    engine = make_engine("mssql+pyodbc://user:pass@server/db?driver=ODBC+Driver+18+for+SQL+Server")
    assert engine.dialect.name == "mssql"
    assert engine.dialect.fast_executemany is True
    assert pyodbc.version
