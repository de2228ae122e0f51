"""The two CSV sources, local folder and Azure Blob (on Azurite), pass the same tests."""

import io

import pytest

from core.errors import InvalidSourceName, SourceFileNotFound, SourceUnavailable
from infra.storage.azure_blob import CHUNK, BlobCsvSource
from infra.storage.local_folder import LocalFolderCsvSource


@pytest.fixture(params=["local", pytest.param("blob", marks=pytest.mark.azurite)])
def source(request, tmp_path):
    if request.param == "local":
        return LocalFolderCsvSource(tmp_path)
    container = request.getfixturevalue("blob_container")
    return BlobCsvSource.from_connection_string(
        request.getfixturevalue("azurite_connection_string"), container.container_name
    )


def test_a_saved_file_reads_back_line_by_line(source):
    data = b"".join(b"%d,Name %d\r\n" % (i, i) for i in range(50_000))
    source.save("uploads/big.csv", io.BytesIO(data))
    assert source.exists("uploads/big.csv")
    with source.open("uploads/big.csv") as stream:
        lines = list(stream)
    assert len(lines) == 50_000
    assert b"".join(lines) == data


def test_a_byte_range_reads_just_those_bytes(source):
    data = b"".join(b"%d,Name %d\n" % (i, i) for i in range(20_000))
    source.save("ranged.csv", io.BytesIO(data))
    assert source.size("ranged.csv") == len(data)
    for start, end in ((0, 10), (5, 200_000), (len(data) - 7, None), (100, 100)):
        with source.open("ranged.csv", start, end) as stream:
            assert stream.read() == data[start:end]
    with source.open("ranged.csv", 12, 40) as stream:
        assert list(stream) == data[12:40].splitlines(keepends=True)


def test_a_deleted_file_is_gone_and_deleting_a_missing_one_is_harmless(source):
    source.save("uploads/gone.csv", io.BytesIO(b"1,a\n"))
    source.save("uploads/kept.csv", io.BytesIO(b"2,b\n"))
    source.delete("uploads/gone.csv")
    assert not source.exists("uploads/gone.csv")
    with pytest.raises(SourceFileNotFound):
        source.open("uploads/gone.csv")
    source.delete("uploads/gone.csv")
    source.delete("never-there.csv")
    with source.open("uploads/kept.csv") as stream:
        assert stream.read() == b"2,b\n"
    with pytest.raises(InvalidSourceName):
        source.delete("../outside.csv")


def test_a_missing_file(source):
    assert not source.exists("nope.csv")
    with pytest.raises(SourceFileNotFound):
        source.open("nope.csv")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../x.csv",
        "a/../../x.csv",
        "/etc/passwd",
        "a//b.csv",
        "a\\b.csv",
        "./x.csv",
        "x\x00.csv",
    ],
)
def test_names_outside_the_source_are_refused(source, name):
    with pytest.raises(InvalidSourceName):
        source.open(name)
    with pytest.raises(InvalidSourceName):
        source.save(name, io.BytesIO(b"1,a\n"))


def test_check_passes_on_a_reachable_source(source):
    source.check()


def test_a_missing_folder_is_unavailable(tmp_path):
    with pytest.raises(SourceUnavailable):
        LocalFolderCsvSource(tmp_path / "missing").check()


@pytest.mark.azurite
def test_a_missing_container_is_unavailable(azurite_connection_string):
    source = BlobCsvSource.from_connection_string(azurite_connection_string, "no-such-container")
    with pytest.raises(SourceUnavailable):
        source.check()


@pytest.mark.azurite
def test_a_blob_is_read_in_chunks_not_whole(azurite_connection_string, blob_container):
    source = BlobCsvSource.from_connection_string(
        azurite_connection_string, blob_container.container_name
    )
    data = b"x" * (9 * 1024 * 1024) + b"\n1,end\n"
    source.save("large.csv", io.BytesIO(data))
    with source.open("large.csv") as stream:
        first = stream.read(10)
        held = len(stream.raw._pending)
        rest = stream.read()
    assert first + rest == data
    assert 0 < held <= CHUNK
