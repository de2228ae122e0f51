"""Prometheus metrics of this process: requests, their latency, and rows by outcome."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from domain.summary import Summary


class Metrics:
    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request",
            ["method", "route"],
            registry=self.registry,
        )
        self.rows = Counter(
            "rows",
            "Rows received through batches, by outcome",
            ["table", "outcome"],
            registry=self.registry,
        )
        app.extensions["hr_metrics"] = self
        app.before_request(self._start)
        app.after_request(self._finish)
        bp = Blueprint("metrics", __name__)
        bp.add_url_rule("/metrics", view_func=self._expose)
        app.register_blueprint(bp)

    def _start(self) -> None:
        g.metrics_started = time.perf_counter()

    def _finish(self, response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        self.requests.labels(request.method, route, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            self.latency.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    def _expose(self) -> Response:
        return Response(generate_latest(self.registry), mimetype=CONTENT_TYPE_LATEST)


def count_rows(summary: Summary) -> None:
    metrics: Metrics = current_app.extensions["hr_metrics"]
    for outcome in ("inserted", "already_exists", "rejected"):
        metrics.rows.labels(summary.table, outcome).inc(getattr(summary, outcome))
