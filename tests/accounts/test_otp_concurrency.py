"""A phone code verifies once, however many requests carry it at once (PostgreSQL)."""

import pytest

from accounts import otp
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


def race_two_holders_of_one_number(tmp_path) -> tuple[list, list]:
    """Both typed the number at sign-up, and both verify it at once."""
    holders = [
        make_customer(f"holder{i}@example.com", "+12025550166", verified=False) for i in range(2)
    ]
    codes = []
    for holder in holders:
        phone_code_send(user_id=holder.pk)
        codes.append(last_sms_code(tmp_path))
    return run_concurrently(
        2,
        lambda i: phone_code_verify(user_id=holders[i].pk, code=codes[i]),
        hold_before_writing=User,
    )


def test_two_accounts_verifying_one_number_at_once_end_with_one_owner(on_postgres, tmp_path):
    outcomes, errors = race_two_holders_of_one_number(tmp_path)
    assert errors == []
    assert sorted(outcomes) == sorted([VerifyOutcome.VERIFIED, VerifyOutcome.TAKEN])
    owners = User.objects.filter(phone_e164="+12025550166", phone_verified_at__isnull=False)
    assert owners.count() == 1


def test_locking_only_ones_own_row_deadlocks_two_holders_verifying_at_once(
    on_postgres, tmp_path, monkeypatch
):
    """The control: each would hold its own row and wait for the other's."""
    monkeypatch.setattr(
        otp,
        "_lock_with_the_numbers_holders",
        lambda user_id: User.objects.select_for_update().get(pk=user_id),
    )
    _, errors = race_two_holders_of_one_number(tmp_path)
    assert any("deadlock" in str(error) for error in errors)
