"""Prometheus metrics of this process: requests, their latency, and rows by outcome."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from api.deps import services
from core.errors import Unavailable
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
        return Response(
            generate_latest(self.registry) + generate_latest(_stored_figures()),
            mimetype=CONTENT_TYPE_LATEST,
        )


def _stored_figures() -> CollectorRegistry:
    """What the database holds, read at each scrape: the same from every process and worker."""
    registry = CollectorRegistry()
    listings, loads = services().listings, services().loads
    try:
        counts, states = listings.rejection_counts(), loads.state_counts()
    except Unavailable:  # the metrics of this process still answer
        return registry
    rejected = Gauge(
        "hr_rejected_rows",
        "Rejected rows stored, by table and reason (loads and batches)",
        ["table", "reason"],
        registry=registry,
    )
    for table, reason, count in counts:
        rejected.labels(table, reason).set(count)
    tasks = Gauge("hr_load_tasks", "Load tasks, by state", ["state"], registry=registry)
    for state, count in states.items():
        tasks.labels(state).set(count)
    return registry


def count_rows(summary: Summary) -> None:
    metrics: Metrics = current_app.extensions["hr_metrics"]
    for outcome in ("inserted", "already_exists", "rejected"):
        metrics.rows.labels(summary.table, outcome).inc(getattr(summary, outcome))
