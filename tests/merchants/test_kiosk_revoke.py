"""Revoking a kiosk and canceling its open payments are one change: both commit or
neither does, and the kiosk's sockets close only once it has committed."""

import pytest

from merchants.models import Kiosk
from merchants.services import kiosk_revoke
from payments import services as payment_services
from payments.models import Payment
from tests.payments import factories as f

pytestmark = pytest.mark.django_db


def test_a_revoke_whose_payment_cancel_fails_is_undone_whole(monkeypatch):
    cafe = f.merchant()
    counter = f.kiosk(cafe)
    waiting = f.kiosk_payment(cafe, kiosk_=counter)

    def cancel_breaks(**kwargs):
        raise RuntimeError("database went away mid-cancel")

    monkeypatch.setattr(payment_services, "payment_cancel", cancel_breaks)
    with pytest.raises(RuntimeError):
        kiosk_revoke(kiosk_id=counter.pk, merchant_id=cafe.pk)
    # The kiosk still works and its payment is still open: nothing half-done.
    assert Kiosk.objects.get(pk=counter.pk).revoked_at is None
    assert Payment.objects.get(pk=waiting.pk).status == waiting.status


def test_the_kiosk_payments_are_canceled_before_the_revoke_commits(
    django_capture_on_commit_callbacks,
):
    cafe = f.merchant()
    counter = f.kiosk(cafe)
    waiting = f.kiosk_payment(cafe, kiosk_=counter)
    with django_capture_on_commit_callbacks(execute=False):
        kiosk_revoke(kiosk_id=counter.pk, merchant_id=cafe.pk)
        # Seen from inside the revoke's transaction, before any on-commit callback.
        assert Payment.objects.get(pk=waiting.pk).status == Payment.Status.CANCELED
