"""Shared pytest fixtures: `http_server`, a started LocalServer (tests/httpserver.py) per test."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.httpserver import LocalServer


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server
