"""How a route reaches the services the composition root built."""

from __future__ import annotations

from flask import current_app

from core.services import Services


def services() -> Services:
    found: Services = current_app.extensions["hr_services"]
    return found
