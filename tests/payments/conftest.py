"""Shared merchant personas of the payments tests: Café A and its signed-in owner."""

from __future__ import annotations

import pytest

from tests.payments import factories as f


@pytest.fixture
def cafe():
    return f.merchant(name="Café A")


@pytest.fixture
def owner(cafe, client):
    user = f.staff(cafe)
    client.force_login(user)
    return user
