"""A pairing code pairs one device, however many type it at once (PostgreSQL, real threads)."""

import pytest

from merchants.errors import PairingError
from merchants.models import KioskPairingCode
from merchants.selectors import kiosk_for_device
from merchants.services import kiosk_issue_pairing_code, kiosk_pair
from tests.concurrency import run_concurrently, without_row_locks
from tests.kiosk.factories import make_kiosk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 8


def race_for_one_code() -> tuple[list, list]:
    kiosk = make_kiosk()
    code = kiosk_issue_pairing_code(kiosk_id=kiosk.pk)
    return run_concurrently(
        N, lambda i: kiosk_pair(code=code), hold_before_writing=KioskPairingCode
    )


def test_devices_racing_with_one_pairing_code_pair_only_one(on_postgres):
    pairings, errors = race_for_one_code()
    won = [pairing for pairing in pairings if pairing is not None]
    assert len(won) == 1
    assert len(errors) == N - 1 and all(isinstance(e, PairingError) for e in errors)
    assert kiosk_for_device(device_token=won[0].device_token) is not None


def test_without_the_code_lock_one_code_pairs_several_devices(on_postgres, monkeypatch):
    """The control: the lock on the code row is what makes it one-time."""
    without_row_locks(monkeypatch, KioskPairingCode)
    pairings, errors = race_for_one_code()
    assert errors == []
    assert len([pairing for pairing in pairings if pairing is not None]) == N
