import pytest

from kiosk.selectors import masked_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Jane Doe", "J*** D."), ("jane van der berg", "J*** B."), ("Cher", "C***"), ("", "Customer")],
)
def test_it_masks_a_name_to_an_initial_and_a_surname_letter(name, masked):
    assert masked_name(name) == masked


@pytest.mark.django_db
def test_the_kiosk_is_told_when_a_payment_is_over_and_not_before():
    from kiosk.selectors import kiosk_payment_state
    from payments import services
    from tests.payments import factories as f

    payment = f.kiosk_payment(f.merchant())
    assert kiosk_payment_state(payment=payment)["final"] is False
    services.payment_start_matching(payment_id=payment.pk)
    failed = services.payment_fail(payment_id=payment.pk, reason="no_match")
    assert kiosk_payment_state(payment=failed)["final"] is False
    canceled = services.payment_cancel(payment_id=payment.pk)
    assert kiosk_payment_state(payment=canceled)["final"] is True
