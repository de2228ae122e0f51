"""Writes the sample CSV files of Documentation/sample_data, the same bytes every run.

The files have the format of the historical files (headerless, comma separated, LF) and
hold, besides good rows, bad rows of every kind. expected.json lists each bad row's line and
reason code, and the counts a load of the three files gives on an empty database.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "Documentation" / "sample_data"

DEPARTMENTS = [
    "Accounting",
    "Business Development",
    "Engineering",
    "Human Resources",
    "Legal",
    "Marketing",
    "Product Management",
    "Research and Development",
    "Sales",
    "Services",
    "Support",
    "Training",
    "Ingeniería",
    'Production, "Plant" 2',
]
JOB_ROOTS = [
    "Accountant",
    "Analyst",
    "Engineer",
    "Designer",
    "Recruiter",
    "Manager",
    "Developer",
    "Technician",
    "Consultant",
    "Counsel",
    "Editor",
    "Researcher",
    "Support Specialist",
    "Sales Associate",
    "Trainer",
]
FIRST = [
    "Ana",
    "Luis",
    "Harold",
    "Ty",
    "Mei",
    "Olga",
    "Kwame",
    "Zoë",
    "José",
    "Priya",
    "Sven",
    "Aiko",
    "Omar",
    "Lena",
    "Raúl",
    "Nadia",
    "Ivan",
    "Chloé",
    "Tariq",
    "Emma",
]
LAST = [
    "Vogt",
    "Hofer",
    "García",
    "Okafor",
    "Tanaka",
    "Novak",
    "Silva",
    "Müller",
    "Chen",
    "O'Brien",
    "Haddad",
    "Kowalski",
    "Rossi",
    "Nguyen",
    "Smith",
    "Petrov",
    "Dubois",
    "Kim",
]


def main() -> None:
    rng = random.Random(20210101)
    OUT.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[str, object]] = {}

    dept_lines = [f"{i},{_quoted(name)}" for i, name in enumerate(DEPARTMENTS, start=1)]
    dept_bad = {
        "required": f"{len(DEPARTMENTS) + 1},   ",
        "duplicate_id": "3,Engineering Again",
        "too_long": f"{len(DEPARTMENTS) + 2},{'D' * 256}",
    }
    expected["departments"] = _write("departments", dept_lines, dept_bad, rng)

    jobs = [f"{root} {level}" for root in JOB_ROOTS for level in ("I", "II", "III")]
    job_lines = [f"{i},{name}" for i, name in enumerate(jobs, start=1)]
    job_bad = {
        "invalid_integer": "x12,Clerk",
        "wrong_field_count": f"{len(jobs) + 1},Clerk,Night shift",
        "out_of_range": "0,Clerk",
    }
    expected["jobs"] = _write("jobs", job_lines, job_bad, rng)

    start = datetime(2021, 1, 1, tzinfo=UTC)
    employees = []
    for i in range(1, 481):
        moment = start + timedelta(seconds=rng.randrange(2 * 365 * 24 * 3600))
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        dept = rng.choices(range(1, len(DEPARTMENTS) + 1), weights=range(len(DEPARTMENTS), 0, -1))[
            0
        ]
        job = rng.randrange(1, len(jobs) + 1)
        employees.append(f"{i},{_quoted(name)},{moment:%Y-%m-%dT%H:%M:%SZ},{dept},{job}")
    n = len(employees)
    employee_bad = {
        "required": f"{n + 1},Mia Lund,2021-05-30T05:43:46Z,8,",
        "invalid_integer": f"{n + 2},Ned Park,2021-06-01T10:00:00Z,two,5",
        "out_of_range": f"{n + 3},Ola Berg,2021-06-01T10:00:00Z,4,99999999999",
        "too_long": f"{n + 4},{'N' * 300},2021-06-01T10:00:00Z,4,5",
        "invalid_datetime": f"{n + 5},Pia Holm,2021-02-30T10:00:00Z,4,5",
        "unknown_department": f"{n + 6},Rui Sato,2021-07-01T08:00:00Z,999,5",
        "unknown_job": f"{n + 7},Sol Vega,2021-07-01T08:00:00Z,4,999",
        "wrong_field_count": f"{n + 8},Tom Reed,2021-07-01T08:00:00Z,4",
        "invalid_encoding": f"{n + 9},Ul\xa0Ek,2021-07-01T08:00:00Z,4,5",
        "duplicate_id": "7,Vic Dunn,2021-08-01T08:00:00Z,4,5",
    }
    expected["hired_employees"] = _write("hired_employees", employees, employee_bad, rng)
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def _write(
    table: str, good: list[str], bad: dict[str, str], rng: random.Random
) -> dict[str, object]:
    """Place each bad line at a random spot among the good ones; return where each went."""
    lines = list(good)
    for reason, line in bad.items():
        lines.insert(rng.randrange(len(lines) // 2, len(lines)), f"\x00{reason}\x00{line}")
    rejected: dict[str, str] = {}
    body = bytearray()
    for number, line in enumerate(lines, start=1):
        if line.startswith("\x00"):
            _, reason, line = line.split("\x00", 2)
            rejected[str(number)] = reason
        # The invalid_encoding row carries a Latin-1 byte, which is not UTF-8.
        body += line.encode(
            "latin-1" if rejected.get(str(number)) == "invalid_encoding" else "utf-8"
        )
        body += b"\n"
    (OUT / f"{table}.csv").write_bytes(bytes(body))
    return {"rows": len(lines), "inserted": len(lines) - len(bad), "rejected_lines": rejected}


def _quoted(text: str) -> str:
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


if __name__ == "__main__":
    main()
