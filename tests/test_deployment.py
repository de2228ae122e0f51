"""The deployment files: compose requires keys from .env, .env.example lists every setting
(as the README's settings table does), and the Azure section starts with the keys."""

import re

import yaml
from dotenv import dotenv_values

from config import Settings
from tests.conftest import PROJECT

APP_SERVICES = ("web", "worker", "storage-init")


def example_names() -> set[str]:
    text = (PROJECT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def setting_names() -> set[str]:
    """Every variable the service reads: config.py and gunicorn.conf.py."""
    config = (PROJECT / "config.py").read_text()
    gunicorn = (PROJECT / "gunicorn.conf.py").read_text()
    return set(re.findall(r'get\("([A-Z_]+)"\)', config)) | set(
        re.findall(r"environ\.get\([\"']([A-Z_]+)[\"']", gunicorn)
    )


def readme_setting_names() -> set[str]:
    text = (PROJECT / "README.md").read_text()
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in re.findall(r"^\| ([^|]+) \|", section, flags=re.MULTILINE):
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
    return names


def test_compose_reads_dot_env_and_will_not_start_without_keys():
    compose = yaml.safe_load((PROJECT / "docker-compose.yml").read_text())
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env", name
        assert service["environment"]["API_KEYS"].startswith("${API_KEYS:?"), name


def test_the_example_lists_every_setting_as_the_readme_does():
    assert setting_names() <= example_names(), setting_names() - example_names()
    assert example_names() == setting_names()
    assert readme_setting_names() == setting_names()


def test_the_example_is_a_valid_set_of_settings():
    values = {k: v for k, v in dotenv_values(PROJECT / ".env.example").items() if v is not None}
    assert set(values) == {"API_KEYS"}  # the rest is commented out, at its default
    assert Settings.from_env(values) == Settings.from_env({})


def test_the_azure_section_starts_with_the_keys():
    text = (PROJECT / "README.md").read_text()
    section = text.split("## Deploying on Azure", 1)[1]
    first_step = section.split("\n1. ", 1)[1].split("\n2. ", 1)[0]
    assert "API_KEYS" in first_step and "API_KEYS_FILE" in first_step
