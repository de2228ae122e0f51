import csv
import io

import pytest


def employee(i, when, dept, job, name=None):
    return {
        "id": i,
        "name": name or f"E{i}",
        "datetime": when,
        "department_id": dept,
        "job_id": job,
    }


@pytest.fixture
def hires(client):
    depts = [
        {"id": 1, "department": "sales"},
        {"id": 2, "department": "Accounting"},
        {"id": 3, "department": '=HYPERLINK("x")'},
        {"id": 4, "department": "Sales"},
        {"id": 5, "department": "Quiet"},
    ]
    jobs = [{"id": 1, "job": "Clerk"}, {"id": 2, "job": "analyst"}, {"id": 3, "job": "Boss, Big"}]
    assert client.post("/batch/departments", json={"rows": depts}).json["inserted"] == 5
    assert client.post("/batch/jobs", json={"rows": jobs}).json["inserted"] == 3
    rows = [
        employee(1, "2021-01-01T00:00:00Z", 1, 1),  # Q1, the first instant of the year
        employee(2, "2021-03-31T23:59:59Z", 1, 1),  # Q1
        employee(3, "2021-04-01T00:00:00Z", 1, 1),  # Q2
        employee(4, "2021-12-31T23:59:59.999Z", 1, 2),  # Q4
        employee(5, "2022-01-01T03:00:00+05:00", 2, 1),  # 2021-12-31 22:00 UTC: Q4 of 2021
        employee(6, "2020-12-31T23:59:59Z", 2, 1),  # 2020
        employee(7, "2022-01-01T00:00:00Z", 2, 1),  # 2022
        employee(8, "2021-07-15T12:00:00-03:00", 3, 3),  # Q3
        employee(9, "2021-10-01T00:00:00Z", 4, 1),  # Q4
        employee(10, "2021-05-05T05:05:05Z", 4, 1),  # Q2
        employee(11, "2021-06-06T06:06:06Z", 4, 2),  # Q2
    ]
    assert client.post("/batch/hired_employees", json={"rows": rows}).json["inserted"] == 11


def test_hired_by_quarter_json(client, hires):
    response = client.get("/report/hired-by-quarter?year=2021")
    assert response.status_code == 200
    assert response.json == {
        "year": 2021,
        "rows": [
            {
                "department": '=HYPERLINK("x")',
                "job": "Boss, Big",
                "Q1": 0,
                "Q2": 0,
                "Q3": 1,
                "Q4": 0,
            },
            {"department": "Accounting", "job": "Clerk", "Q1": 0, "Q2": 0, "Q3": 0, "Q4": 1},
            {"department": "Sales", "job": "analyst", "Q1": 0, "Q2": 1, "Q3": 0, "Q4": 0},
            {"department": "Sales", "job": "Clerk", "Q1": 0, "Q2": 1, "Q3": 0, "Q4": 1},
            {"department": "sales", "job": "analyst", "Q1": 0, "Q2": 0, "Q3": 0, "Q4": 1},
            {"department": "sales", "job": "Clerk", "Q1": 2, "Q2": 1, "Q3": 0, "Q4": 0},
        ],
    }


def test_year_defaults_to_2021(client, hires):
    assert (
        client.get("/report/hired-by-quarter").json
        == client.get("/report/hired-by-quarter?year=2021").json
    )


def test_hired_by_quarter_csv_is_quoted_and_guarded_against_formulas(client, hires):
    response = client.get("/report/hired-by-quarter?year=2021&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="hired-by-quarter-2021.csv"'
    )
    text = response.get_data(as_text=True)
    assert text.splitlines()[:2] == [
        "department,job,Q1,Q2,Q3,Q4",
        '"\'=HYPERLINK(""x"")","Boss, Big",0,0,1,0',
    ]
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 7
    assert rows[1][0] == '\'=HYPERLINK("x")'


def test_hiring_above_average(client, hires):
    # 2021 hires: sales 4, Accounting 1, formula 1, Sales 3 -> mean 9 / 4 = 2.25
    body = client.get("/report/hiring-above-average?year=2021").json
    assert body == {
        "year": 2021,
        "mean": 2.25,
        "rows": [
            {"id": 1, "department": "sales", "hired": 4},
            {"id": 4, "department": "Sales", "hired": 3},
        ],
    }


def test_hiring_above_average_csv(client, hires):
    response = client.get("/report/hiring-above-average?format=csv&year=2021")
    assert response.get_data(as_text=True) == "id,department,hired\r\n1,sales,4\r\n4,Sales,3\r\n"


def test_a_year_without_hires_is_empty(client, hires):
    assert client.get("/report/hired-by-quarter?year=1990").json == {"year": 1990, "rows": []}
    assert client.get("/report/hiring-above-average?year=1990").json == {
        "year": 1990,
        "mean": 0.0,
        "rows": [],
    }


@pytest.mark.parametrize(
    "query",
    ["year=1899", "year=2101", "year=abc", "year=2021.5", "year=", "format=xml", "yr=2021"],
)
@pytest.mark.parametrize("report", ["hired-by-quarter", "hiring-above-average"])
def test_bad_parameters_are_a_400(client, report, query):
    response = client.get(f"/report/{report}?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameters"
