"""`flask check`: the hire counts the reports read, counted again from the employees."""

from sqlalchemy import text

from tests.conftest import load


def test_check_passes_after_a_load_and_names_each_count_that_differs(app, client):
    assert load(client)["state"] == "SUCCESS"
    runner = app.test_cli_runner()
    passed = runner.invoke(args=["check"])
    assert passed.exit_code == 0, passed.output
    assert passed.output == "hire counts: every count equals the employees stored\n"

    engine = app.extensions["hr_services"].listings.read_model.engine
    with engine.begin() as conn:
        department, job, year, q1 = conn.execute(
            text(
                "SELECT department_id, job_id, year, q1 FROM hire_counts WHERE q1 > 0 "
                "ORDER BY year, department_id, job_id"
            )
        ).first()
        conn.execute(
            text(
                "UPDATE hire_counts SET q1 = q1 + 5 "
                "WHERE department_id = :d AND job_id = :j AND year = :y"
            ),
            {"d": department, "j": job, "y": year},
        )
    failed = runner.invoke(args=["check"])
    assert failed.exit_code == 1
    assert failed.output == (
        f"department {department}, job {job}, {year} Q1: {q1} employees stored, "
        f"{q1 + 5} in the summary\n"
        "Error: 1 hire counts differ from the employees stored\n"
    )
