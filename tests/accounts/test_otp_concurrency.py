"""A phone code verifies once, however many requests carry it at once (PostgreSQL)."""

import pytest

from accounts.models import AuditEvent, PhoneCode, User
from accounts.otp import VerifyOutcome, phone_code_send, phone_code_verify
from tests.accounts.conftest import last_sms_code, make_customer
from tests.concurrency import run_concurrently, without_row_locks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
N = 8


def race_with_a_code(tmp_path, *, typed: str | None = None) -> list:
    ada = make_customer("ada@example.com", "+12025550147", verified=False)
    phone_code_send(user_id=ada.pk)
    code = typed or last_sms_code(tmp_path)
    outcomes, errors = run_concurrently(
        N,
        lambda i: phone_code_verify(user_id=ada.pk, code=code),
        hold_before_writing=(PhoneCode, User),
    )
    assert errors == []
    return outcomes


def test_concurrent_uses_of_one_code_verify_once(on_postgres, tmp_path):
    outcomes = race_with_a_code(tmp_path)
    assert outcomes.count(VerifyOutcome.VERIFIED) == 1
    assert outcomes.count(VerifyOutcome.EXPIRED) == N - 1
    assert AuditEvent.objects.filter(name="phone.verified").count() == 1


def test_without_the_locks_one_code_verifies_many_times(on_postgres, tmp_path, monkeypatch):
    """The control: the user and code row locks are what make a code one-time."""
    without_row_locks(monkeypatch, User, PhoneCode)
    outcomes = race_with_a_code(tmp_path)
    assert outcomes.count(VerifyOutcome.VERIFIED) == N


def test_concurrent_wrong_guesses_all_count_towards_the_lock_out(on_postgres, tmp_path, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 100
    outcomes = race_with_a_code(tmp_path, typed="12345")  # five digits: never right
    assert set(outcomes) == {VerifyOutcome.WRONG}
    assert PhoneCode.objects.get().attempts == N


def test_without_the_locks_concurrent_wrong_guesses_are_lost(
    on_postgres, tmp_path, settings, monkeypatch
):
    """The control: without the locks a burst of guesses counts as one."""
    settings.PHONE_CODE_MAX_ATTEMPTS = 100
    without_row_locks(monkeypatch, User, PhoneCode)
    race_with_a_code(tmp_path, typed="12345")
    assert PhoneCode.objects.get().attempts < N
