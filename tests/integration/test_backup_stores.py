"""Backups through the folder store and the blob store (on Azurite), and the CLI commands."""

import pytest

from core.backups import Backups
from infra.backup.blob_store import BlobBackupStore
from infra.backup.folder_store import FolderBackupStore
from tests.conftest import load


@pytest.fixture(params=["folder", pytest.param("blob", marks=pytest.mark.azurite)])
def store(request, tmp_path):
    if request.param == "folder":
        return FolderBackupStore(tmp_path / "backups")
    container = request.getfixturevalue("blob_container")
    connection = request.getfixturevalue("azurite_connection_string")
    return BlobBackupStore.from_connection_string(connection, container.container_name)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_round_trip_through_each_store(app, client, store):
    load(client)
    services = app.extensions["hr_services"]
    backups = Backups(services.backups.uow_factory, store)
    before = client.get("/hired-employees?per_page=100").json["items"]
    made = backups.backup(["departments", "jobs", "hired_employees"])
    assert [(m.meta.table, m.meta.rows) for m in made] == [
        ("departments", 14),
        ("jobs", 45),
        ("hired_employees", 480),
    ]
    listed = backups.available()
    assert sorted(b.name for b in listed) == sorted(m.name for m in made)
    assert {b.name: b.size for b in listed} == {m.name: m.size for m in made}
    with services.backups.uow_factory() as uow:
        uow.rows.delete_all("hired_employees")
        uow.commit()
    assert client.get("/hired-employees").json["total"] == 0
    restored = backups.restore({"hired_employees": None})
    assert [(r.table, r.rows) for r in restored] == [("hired_employees", 480)]
    assert client.get("/hired-employees?per_page=100").json["items"] == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_backs_up_lists_and_restores(app, client):
    load(client)
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "jobs"])
    assert made.exit_code == 0, made.output
    assert made.output.startswith("jobs: 45 rows -> jobs-")
    name = made.output.split("-> ")[1].strip()
    listed = runner.invoke(args=["backups", "--table", "jobs"])
    assert listed.output.startswith(f"{name}\tjobs\t45 rows\t")
    client.post("/batch/jobs", json={"rows": [{"id": 700, "job": "Gone after restore"}]})
    restored = runner.invoke(args=["restore", "jobs", "--backup", name])
    assert restored.exit_code == 0, restored.output
    assert restored.output == f"jobs: 45 rows from {name}\n"
    assert client.get("/jobs").json["total"] == 45
    refused = runner.invoke(args=["restore", "departments", "--backup", "departments-nope.avro"])
    assert refused.exit_code == 1
    assert "there is no backup named 'departments-nope.avro'" in refused.output
