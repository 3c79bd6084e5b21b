"""Human words for the codes payments store: statuses, reasons, recognition outcomes,
audit event names and their details. Every page uses these (through the `labels`
template tags); the API and webhooks keep the codes.

Lazily translated, so a page shows them in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from payments.templatetags.money import money

PAYMENT_STATUS = {
    "created": _("Waiting for the customer"),
    "matching": _("Recognising the face"),
    "awaiting_confirmation": _("Waiting for confirmation"),
    "succeeded": _("Paid"),
    "declined": _("Declined"),
    "expired": _("Expired"),
    # Not only faces fail (a wrong password, a check that could not run): the reason says.
    "failed": _("Failed"),
    "canceled": _("Canceled"),
    "refunded": _("Refunded"),
    "partially_refunded": _("Partly refunded"),
}

# The customer reads the waiting states as their own turn, not as "the customer's".
CUSTOMER_STATUS = {
    "created": _("Waiting for your answer"),
    "awaiting_confirmation": _("Waiting for your confirmation"),
}

# Why a payment ended where it did (Payment.reason).
PAYMENT_REASON = {
    "insufficient_funds": _("not enough money in the wallet"),
    "over_payment_limit": _("over the customer's limit per payment"),
    "over_daily_limit": _("over the customer's daily limit"),
    "customer_declined": _("by the customer, on their phone"),
    "timeout": _("not confirmed in time"),
    "canceled": _("canceled"),
    "canceled_at_kiosk": _("canceled at the kiosk"),
    "canceled_by_merchant": _("canceled by the shop"),
    "kiosk_revoked": _("the kiosk was switched off"),
    "kiosk_paired_again": _("the kiosk was paired with another device"),
    "interrupted": _("the face check was interrupted"),
    "wrong_password": _("wrong password"),
    "too_many_attempts": _("too many attempts"),
    "frames_expired": _("the camera pictures arrived too late"),
    "recognition_timeout": _("the face check took too long"),
    "recognition_unavailable": _("the face check could not run"),
    "wide_search": _("too many look-alike customers to pay without the phone"),
}

# The same reasons as the paying customer reads them (their portal, their phone).
CUSTOMER_REASON = {
    "insufficient_funds": _("not enough money in your wallet"),
    "over_payment_limit": _("over your limit per payment"),
    "over_daily_limit": _("over your daily limit"),
    "customer_declined": _("you declined it"),
}

# What one recognition try found (RecognitionAttempt.outcome, kiosk failure reasons).
RECOGNITION_OUTCOME = {
    "matched": _("Recognised"),
    "no_face": _("No face seen"),
    "multiple_faces": _("More than one face"),
    "poor_quality": _("Picture not good enough"),
    "bad_image": _("Camera picture unusable"),
    "not_live": _("Not a live person"),
    "presentation_attack": _("Photo or screen held up"),
    "no_match": _("Not recognised"),
    "ambiguous": _("Needed the phone digits"),
    "unavailable": _("Face pay is off for this person"),
    "rate_limited": _("Too many attempts"),
    "error": _("Technical error"),
}

AUDIT_EVENT = {
    "payment.created": _("Payment created"),
    "payment.matching": _("Face scan started"),
    "payment.awaiting_confirmation": _("Customer asked to confirm"),
    "payment.succeeded": _("Paid"),
    "payment.declined": _("Declined"),
    "payment.expired": _("Expired"),
    "payment.failed": _("Failed"),
    "payment.canceled": _("Canceled"),
    "payment.refunded": _("Refunded"),
    "payment.partially_refunded": _("Partly refunded"),
    "payment.hold_released": _("Held money released"),
    "payment.push_failed": _("The notification did not reach the customer's phone"),
    "payment.auto_approve_withheld": _("Phone confirmation asked although below auto-approve"),
    "payment.face_verified": _("Face checked on the customer's phone"),
    "payment.password_verified": _("Password checked on the customer's phone"),
    "recognition.attempted": _("Face scan"),
    "recognition.flagged_by_customer": _("Customer said “this wasn't me”"),
    "wallet.topped_up": _("Wallet topped up"),
    "wallet.funded": _("Money added to the wallet"),
    "wallet.funding_requested": _("Adding money to the wallet"),
    "wallet.funding_failed": _("Adding money failed"),
}

WEBHOOK_EVENT = {
    "payment.succeeded": _("Payment paid"),
    "payment.declined": _("Payment declined"),
    "payment.expired": _("Payment expired"),
    "payment.failed": _("Payment failed"),
    "payment.refunded": _("Payment refunded"),
}


def _fallback(code: str) -> str:
    """An unknown code still reads as words, never as snake_case."""
    text = (code or "").replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def status_label(code: str) -> str:
    return str(PAYMENT_STATUS.get(code) or _fallback(code))


def customer_status_label(code: str) -> str:
    """A status as the paying customer reads it (their portal, their phone)."""
    return str(CUSTOMER_STATUS.get(code) or status_label(code))


def reason_label(code: str) -> str:
    if not code:
        return ""
    label = PAYMENT_REASON.get(code) or RECOGNITION_OUTCOME.get(code)
    return str(label) if label else _fallback(code).lower()


def obstacle_sentence(code: str) -> str:
    """What would refuse a payment (selectors.payment_obstacle's code) in the customer's
    words; "" when nothing stands in the way."""
    if code == "insufficient_funds":
        return str(_("Your wallet does not hold enough for this payment."))
    if code:
        return str(_("This payment is %(reason)s.") % {"reason": customer_reason_label(code)})
    return ""


def answer_sentence(payment) -> str:
    """What the customer's own answer did ("Approved: you paid …", "Declined: …"), for the
    page and the notification alike; "" when the payment ended otherwise."""
    done = {
        "amount": money(payment.amount_minor, payment.currency),
        "merchant": payment.merchant.name,
    }
    if payment.status == "succeeded":
        return str(_("Approved: you paid %(amount)s to %(merchant)s.") % done)
    if payment.status == "declined" and payment.reason == "customer_declined":
        return str(_("Declined: nothing was paid to %(merchant)s.") % done)
    return ""


def customer_reason_label(code: str) -> str:
    """A reason as the paying customer reads it."""
    return str(CUSTOMER_REASON.get(code) or reason_label(code))


def outcome_label(code: str) -> str:
    return str(RECOGNITION_OUTCOME.get(code) or _fallback(code))


def event_label(name: str) -> str:
    return str(AUDIT_EVENT.get(name) or WEBHOOK_EVENT.get(name) or _fallback(name))


def event_details(data: dict[str, Any], *, currency: str = "") -> list[str]:
    """An audit event's data as short phrases; internal ids (customers, attempts) stay out."""
    details = []
    if previous := data.get("previous"):
        details.append(str(_("before: %(status)s") % {"status": status_label(previous)}).lower())
    if reason := data.get("reason"):
        details.append(reason_label(reason))
    if outcome := data.get("outcome"):
        details.append(outcome_label(outcome).lower())
    amount = data.get("amount_minor")
    if isinstance(amount, int) and not isinstance(amount, bool):
        details.append(money(amount, data.get("currency") or currency))
    if data.get("auto_approved"):
        details.append(str(_("approved automatically, below the customer's level")))
    if data.get("channel"):
        details.append(str(_("online") if data["channel"] == "online" else _("at a kiosk")))
    return details


SPOOF_OUTCOMES = ("presentation_attack", "not_live")


def attempt_place(attempt) -> str:
    """ "Demo Café, Counter 1 (Front counter)", or "Bean Shop (online)"."""
    kiosk = attempt.kiosk
    if kiosk is None:
        if attempt.payment is None:
            return str(_("an online shop"))
        return str(_("%(merchant)s (online)") % {"merchant": attempt.payment.merchant.name})
    place = f"{kiosk.merchant.name}, {kiosk.name}"
    return f"{place} ({kiosk.location})" if kiosk.location else place


def attempt_sentence(attempt, *, customer_id: int) -> str:
    """What a recognition attempt means for this customer, in a sentence."""
    where = {"where": attempt_place(attempt)}
    if attempt.outcome == "presentation_attack":
        return str(
            _(
                "Someone tried to pay with a photo or screen showing your face at %(where)s. "
                "It was refused: nothing was paid."
            )
            % where
        )
    if attempt.outcome == "not_live":
        return str(
            _(
                "Someone tried to pay with your face at %(where)s, but no live person was "
                "seen. It was refused: nothing was paid."
            )
            % where
        )
    if attempt.outcome == "matched" and attempt.customer_id == customer_id:
        return str(_("Your face was recognised at %(where)s.") % where)
    return str(
        _("A face close to yours was seen at %(where)s. It was not taken as you (%(outcome)s).")
        % {**where, "outcome": outcome_label(attempt.outcome).lower()}
    )


def delivery_problem(error: str) -> str:
    """A webhook delivery's last error in the merchant's words ("" when none); the stored
    text (the HTTP library's, in English) stays for the tooltip."""
    if not error:
        return ""
    if error.startswith("HTTP "):
        return str(_("your endpoint answered %(status)s") % {"status": error[5:]})
    kinds = {
        "DeadlineExceeded": _("no answer in time"),
        "ReadTimeout": _("no answer in time"),
        "ConnectTimeout": _("could not connect"),
        "ConnectionError": _("could not connect"),
        "SSLError": _("the endpoint's certificate was refused"),
        "refused": _("this address may not receive webhooks"),
        "endpoint disabled": _("endpoint disabled"),
    }
    for start, label in kinds.items():
        if error.startswith(start):
            return str(label)
    return str(_("could not deliver"))
