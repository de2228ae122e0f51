import shutil


def test_health(client):
    response = client.get("/health")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_ready_when_everything_is_reachable(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "checks": {"database": "ok", "csv_source": "ok", "backup_store": "ok", "task_queue": "ok"},
        "down": [],
    }


def test_not_ready_names_what_is_down_and_nothing_more(client, source_dir):
    shutil.rmtree(source_dir)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "checks": {
            "database": "ok",
            "csv_source": "down",
            "backup_store": "ok",
            "task_queue": "ok",
        },
        "down": ["csv_source"],
    }


def test_openapi_document_lists_every_route(client, app):
    spec = client.get("/openapi.json").json
    assert spec["openapi"] == "3.0.3"
    documented = {path for path in spec["paths"]}
    served = {
        rule.rule.replace("<", "{").replace(">", "}").replace("path:", "")
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith("/docs/assets")
    }
    assert served == documented
    batch = spec["paths"]["/batch/{table}"]["post"]
    assert set(batch["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "422",
        "429",
        "503",
    }
    without_parts = {"/health", "/openapi.json", "/docs", "/metrics"}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            if path in without_parts:
                assert "503" not in operation["responses"], path
            else:
                assert "503" in operation["responses"], path
    params = {p["name"] for p in spec["paths"]["/rejections"]["get"]["parameters"]}
    assert params == {"page", "per_page", "table", "task_id", "batch_id"}


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "http" not in html.replace("/docs", "")
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert b"SwaggerUIBundle" in bundle.data
    assert client.get("/docs/assets/docs-init.js").data.startswith(b"window.ui = SwaggerUIBundle")
    assert client.get("/docs/assets/../../../etc/passwd").status_code == 404


def test_metrics_count_requests_and_batch_rows(client):
    client.get("/health")
    client.post("/batch/jobs", json={"rows": [{"id": 1, "job": "a"}, {"id": 2}]})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
    assert 'rows_total{outcome="inserted",table="jobs"} 1.0' in text
    assert 'rows_total{outcome="rejected",table="jobs"} 1.0' in text


def test_unknown_routes_and_methods_answer_json(client):
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong = client.get("/batch/jobs")
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"


def test_the_docs_group_routes_by_what_they_do(client):
    spec = client.get("/openapi.json").json
    tags = {
        path: {op["tags"][0] for op in operations.values()}
        for path, operations in spec["paths"].items()
    }
    assert tags["/upload/{table}"] == tags["/task-status/{task_id}"] == {"loads"}
    assert tags["/batch/{table}"] == {"batches"}
    assert tags["/report/hired-by-quarter"] == {"reports"}
    assert tags["/restore"] == tags["/backups"] == {"backups"}
    assert tags["/hired-employees"] == tags["/rejections"] == {"listings"}
    assert tags["/health"] == tags["/metrics"] == tags["/audit"] == {"operations"}
    assert set().union(*tags.values()) == {
        "loads",
        "batches",
        "reports",
        "backups",
        "listings",
        "operations",
        "console",
    }


def test_metrics_tell_the_rejected_rows_by_reason_and_the_tasks_by_state(client):
    from tests.conftest import load

    load(client)
    text = client.get("/metrics").get_data(as_text=True)
    counts = client.get("/rejections?table=departments&per_page=100").json["items"]
    by_reason: dict[str, int] = {}
    for item in counts:
        by_reason[item["reason"]] = by_reason.get(item["reason"], 0) + 1
    for reason, count in by_reason.items():
        assert f'hr_rejected_rows{{reason="{reason}",table="departments"}} {float(count)}' in text
    assert 'hr_load_tasks{state="SUCCESS"} 1.0' in text
