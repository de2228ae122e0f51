"""Latency of the HTTP service under gunicorn on loopback: batches and reports."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def batch_latency(port: int, clients: int, per_client: int, first_id: int) -> tuple[float, float]:
    """Each client POSTs 1000-row batches of new employees, one after another."""
    samples: list[float] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for n in range(per_client):
            base = first_id + (number * per_client + n) * 1000
            rows = [
                {
                    "id": base + i,
                    "name": f"Batch Person {base + i}",
                    "datetime": "2021-06-15T12:00:00Z",
                    "department_id": i % 12 + 1,
                    "job_id": i % 183 + 1,
                }
                for i in range(1000)
            ]
            body = json.dumps({"rows": rows})
            started = time.perf_counter()
            conn.request(
                "POST", "/batch/hired_employees", body, {"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            payload = json.loads(response.read())
            elapsed = time.perf_counter() - started
            assert response.status == 200 and payload["inserted"] == 1000, payload
            with lock:
                samples.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return percentiles(samples)


def get_latency(
    port: int, path: str, times: int, check: Callable[[dict], bool]
) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples = []
    for n in range(times + 3):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        payload = json.loads(response.read())
        elapsed = time.perf_counter() - started
        assert response.status == 200 and check(payload), payload
        if n >= 3:  # the first few warm the caches
            samples.append(elapsed)
    conn.close()
    return percentiles(samples)
