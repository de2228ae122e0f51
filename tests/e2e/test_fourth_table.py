"""A table is a spec plus a migration: two tables defined only here (locations, and staff
who refer to them) are loaded from CSV, inserted in batches, listed, backed up and restored
through the real adapters on SQLite, with no other change to the service."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import Settings
from domain.rejections import Reason
from domain.tables import TABLES, Column, Kind, TableSpec
from infra.db.engine import make_engine
from infra.db.schema import data_table, metadata
from main import create_app
from tests.conftest import load

LOCATIONS = TableSpec("locations", (Column("id", Kind.ID), Column("location", Kind.TEXT)))
STAFF = TableSpec(
    "staff",
    (
        Column("id", Kind.ID),
        Column("name", Kind.TEXT),
        Column("starts", Kind.DATETIME),
        Column(
            "location_id",
            Kind.REFERENCE,
            references="locations",
            missing=Reason.UNKNOWN_REFERENCE,
        ),
    ),
)


@pytest.fixture
def app(monkeypatch, tmp_path) -> Iterator[Flask]:
    monkeypatch.setitem(TABLES, "locations", LOCATIONS)
    monkeypatch.setitem(TABLES, "staff", STAFF)
    (tmp_path / "source").mkdir()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'hr.sqlite3'}",
        csv_source_dir=tmp_path / "source",
        backup_dir=tmp_path / "backups",
    )
    application = create_app(settings)
    tables = [data_table("locations"), data_table("staff")]
    engine = make_engine(settings.database_url)
    metadata.create_all(engine, tables=tables)  # what the new tables' migration would do
    engine.dispose()
    yield application
    application.extensions["hr_services"].close()
    for table in tables:
        metadata.remove(table)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


def staff(ident: int, location: int) -> dict[str, object]:
    return {
        "id": ident,
        "name": f"P{ident}",
        "starts": "2021-03-01T09:00:00Z",
        "location_id": location,
    }


def test_a_table_defined_by_its_spec_alone_goes_through_every_use_case(client):
    csv = b"id,location\n1,Lisbon\n2,Porto\nx,Nowhere\n"
    task = load(
        client,
        "/upload/locations",
        data={"file": (io.BytesIO(csv), "locations.csv")},
        content_type="multipart/form-data",
    )
    result = task["result"]
    assert (result["inserted"], result["rejected"], result["lines_read"]) == (2, 1, 4)
    assert result["rejections"][0]["reason"] == "invalid_integer"

    batch = client.post("/batch/staff", json={"rows": [staff(1, 1), staff(2, 9)]}).json
    assert (batch["inserted"], batch["rejected"]) == (1, 1)
    assert [(r["index"], r["reason"], r["message"]) for r in batch["rejections"]] == [
        (1, "unknown_reference", "no location with id 9")
    ]

    assert [i["location"] for i in client.get("/locations").json["items"]] == ["Lisbon", "Porto"]
    listed = client.get("/staff").json
    assert listed["total"] == 1
    assert listed["items"][0]["name"] == "P1"
    assert listed["items"][0]["location_id"] == 1

    made = client.post("/backup/staff")
    assert made.status_code == 201, made.json
    assert client.post("/batch/staff", json={"rows": [staff(3, 2)]}).json["inserted"] == 1
    restored = client.post("/restore/staff", json={})
    assert restored.status_code == 200, restored.json
    assert restored.json["rows"] == 1
    assert [i["id"] for i in client.get("/staff").json["items"]] == [1]


def test_a_restore_of_the_referred_table_keeps_references_whole(client):
    client.post("/batch/locations", json={"rows": [{"id": 1, "location": "Lisbon"}]})
    assert client.post("/backup/locations").status_code == 201
    client.post("/batch/locations", json={"rows": [{"id": 2, "location": "Porto"}]})
    client.post("/batch/staff", json={"rows": [staff(1, 2)]})
    refused = client.post("/restore/locations", json={})
    assert refused.status_code == 409
    assert refused.json["error"]["details"] == {"missing": {"locations": [2]}}
