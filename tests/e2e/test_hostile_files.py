"""Files built to hurt: one huge line, a quote never closed. Memory stays bounded, every
line is accounted for, and each bad record costs only itself."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from domain.rejections import KEPT_RAW
from tests.conftest import load

PROJECT = Path(__file__).resolve().parents[2]


def upload(client, data: bytes) -> dict:
    return load(
        client,
        "/upload/departments",
        data={"file": (io.BytesIO(data), "departments.csv")},
        content_type="multipart/form-data",
    )


def test_a_stray_quote_costs_one_line_and_every_other_row_is_loaded(client):
    lines = [b"id,department"] + [b"%d,Department %d" % (n, n) for n in range(1, 5011)]
    lines[10] = b'10,"Department 10'
    task = upload(client, b"\n".join(lines) + b"\n")
    result = task["result"]
    assert (result["lines_read"], result["processed"]) == (5011, 5010)
    assert (result["inserted"], result["already_exists"], result["rejected"]) == (5009, 0, 1)
    assert result["rejections"] == [
        {
            "line": 11,
            "id": None,
            "field": None,
            "reason": "unterminated_quote",
            "message": "the CSV record cannot be read: a quoted field opened on this line "
            "is not closed within 65536 bytes",
        }
    ]
    stored = client.get("/rejections", query_string={"task_id": task["task_id"]}).json
    assert [(r["line"], r["raw"]) for r in stored["items"]] == [(11, '10,"Department 10')]
    assert client.get("/departments").json["total"] == 5009


def test_a_line_far_over_the_record_limit_is_one_short_rejection(client):
    task = upload(client, b"1,Sales\n" + b"a," * (10 * 1024 * 1024) + b"\n2,Ops")
    result = task["result"]
    assert (result["lines_read"], result["processed"], result["inserted"]) == (3, 3, 2)
    assert [(r["line"], r["reason"]) for r in result["rejections"]] == [(2, "too_long")]
    answer = client.get("/rejections", query_string={"task_id": task["task_id"]})
    assert len(answer.data) < 2 * KEPT_RAW
    (stored,) = answer.json["items"]
    assert stored["raw"] == "a," * 2048 + f"…[cut: {20 * 1024 * 1024 + 1 - KEPT_RAW} more bytes]"


def test_loading_a_200_mb_line_stays_under_200_mb_of_memory(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-m", "bench.one_line", str(tmp_path), "200"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures = json.loads(finished.stdout)
    assert figures["state"] == "SUCCESS"
    assert figures["result"]["lines_read"] == 1
    assert [r["reason"] for r in figures["result"]["rejections"]] == ["too_long"]
    assert figures["peak_rss_mb"] < 200
