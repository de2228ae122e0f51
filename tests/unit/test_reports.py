import pytest

from core.errors import InvalidRequest
from core.ports import DepartmentHires, QuarterCounts
from core.reports import hired_by_quarter, hiring_above_average


class FakeReportQueries:
    def __init__(self, quarter_rows=(), department_rows=()):
        self.quarter_rows = list(quarter_rows)
        self.department_rows = list(department_rows)
        self.asked: list = []

    def hires_by_quarter(self, year):
        self.asked.append(year)
        return list(self.quarter_rows)

    def hires_by_department(self, year):
        self.asked.append(year)
        return list(self.department_rows)


def test_reports_ask_for_their_year():
    queries = FakeReportQueries()
    hired_by_quarter(queries, 2021)
    hiring_above_average(queries, 1999)
    assert queries.asked == [2021, 1999]


def test_quarter_report_is_sorted_by_casefolded_department_then_job_then_exact_text():
    rows = [
        QuarterCounts("sales", "b", 1, 0, 0, 0),
        QuarterCounts("Sales", "a", 0, 1, 0, 0),
        QuarterCounts("Sales", "B", 0, 0, 1, 0),
        QuarterCounts("Accounting", "z", 0, 0, 0, 1),
        QuarterCounts("Ärzte", "a", 1, 1, 1, 1),
    ]
    ordered = hired_by_quarter(FakeReportQueries(quarter_rows=rows), 2021)
    assert [(r.department, r.job) for r in ordered] == [
        ("Accounting", "z"),
        ("Sales", "a"),
        ("Sales", "B"),
        ("sales", "b"),
        ("Ärzte", "a"),
    ]


def test_above_average_is_strictly_above_the_mean_of_hiring_departments():
    rows = [
        DepartmentHires(1, "Zeta", 10),
        DepartmentHires(2, "alpha", 10),
        DepartmentHires(3, "Beta", 4),
        DepartmentHires(4, "Gamma", 6),
    ]
    report = hiring_above_average(FakeReportQueries(department_rows=rows), 2021)
    assert report.mean == 7.5
    assert [(r.id, r.hired) for r in report.rows] == [(2, 10), (1, 10)]


def test_a_department_exactly_at_the_mean_is_not_above_it():
    rows = [DepartmentHires(1, "A", 5), DepartmentHires(2, "B", 5)]
    report = hiring_above_average(FakeReportQueries(department_rows=rows), 2021)
    assert (report.mean, report.rows) == (5.0, [])


def test_a_year_without_hires_has_mean_zero_and_no_rows():
    report = hiring_above_average(FakeReportQueries(), 1999)
    assert (report.year, report.mean, report.rows) == (1999, 0.0, [])


@pytest.mark.parametrize("year", [1899, 2101])
def test_years_out_of_range_are_refused(year):
    with pytest.raises(InvalidRequest):
        hired_by_quarter(FakeReportQueries(), year)
    with pytest.raises(InvalidRequest):
        hiring_above_average(FakeReportQueries(), year)
