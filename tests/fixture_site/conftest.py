"""The fixture site tests' HTTP client, speaking to the `site` each test file sets up."""

from __future__ import annotations

import pytest

from checker.fixture_site import FixtureSite
from tests.fixture_site.fixture_http import Client


@pytest.fixture
def client(site: FixtureSite) -> Client:
    return Client(site)
