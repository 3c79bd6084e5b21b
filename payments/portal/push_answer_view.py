"""POST /me/payments/<id>/answer/: the service worker answers from the notification's
button (payments/push_answers.py). JSON in, JSON out, with the words the phone shows."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.language import in_language_of
from payments.errors import PaymentError
from payments.labels import answer_sentence
from payments.models import Payment
from payments.push_answers import payment_answer_from_push
from smilepay.json_body import BadJsonBody, read_json_object


def _said(payment: Payment) -> str:
    return answer_sentence(payment) or str(
        _("This payment can no longer be answered: open SmilePay to see it.")
    )


# The token, not a cookie, says who answers: a notification can be answered with no
# SmilePay page open, and no other site can mint one (CSRF has nothing to ride on).
@csrf_exempt
@require_POST
def push_answer(request: HttpRequest, payment_id: int) -> JsonResponse:
    try:
        body = read_json_object(request)
        token, action = str(body.get("token", "")), str(body.get("action", ""))
        payment = payment_answer_from_push(payment_id=payment_id, token=token, action=action)
    except BadJsonBody as exc:
        return JsonResponse({"error": {"code": "bad_json", "message": str(exc)}}, status=400)
    except PaymentError as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status=exc.http_status
        )
    # The words go to the customer's phone: in their language, not the request's.
    with in_language_of(user_id=payment.customer_id):  # the token's customer, checked
        message = _said(payment)
    return JsonResponse({"status": payment.status, "final": payment.is_final, "message": message})
