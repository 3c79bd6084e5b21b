"""Merchant API views: thin; the services do the work and scope checks come first."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants import selectors as merchant_selectors
from payments import selectors, services
from payments.api import serializers as s
from payments.api.auth import ApiKeyAuthentication, HasApiKey
from payments.api.errors import ApiError, api_exception_handler
from payments.api.idempotency import HEADER, idempotent
from payments.labels import status_label
from payments.models import Payment
from smilepay.json_body import SafeJSONParser

IDEMPOTENCY_PARAM = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per logical request; a retry with the same key and body "
    "returns the stored response.",
)
ERRORS = {
    400: s.ErrorSerializer,
    401: s.ErrorSerializer,
    404: s.ErrorSerializer,
    409: s.ErrorSerializer,
    422: s.ErrorSerializer,
}


class MerchantApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    parser_classes = [SafeJSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return api_exception_handler

    @property
    def merchant_id(self) -> int:
        return self.request.auth.merchant_id


class PaymentCursor(CursorPagination):
    page_size = 25
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request):
        """DRF's cursor, refused (404 "Invalid cursor") unless its position is a timestamp:
        a forged position would otherwise reach the query and fail there."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not _a_moment(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "object": "list",
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "properties": {
                "object": {"type": "string", "example": "list"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


def _a_moment(position: str) -> bool:
    """Whether a cursor's position is a timestamp the database can compare: the query
    converts it to UTC, which overflows at the edges of the calendar (0001-01-01+14:00)."""
    try:
        moment = parse_datetime(position)
        if moment is None:
            return False
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return False
    return True


class PaymentFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Payment.Status.choices, required=False)
    kiosk_id = serializers.IntegerField(required=False, min_value=-(2**63), max_value=2**63 - 1)
    channel = serializers.ChoiceField(choices=Payment.Channel.choices, required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lt = serializers.DateTimeField(required=False)


class PaymentListCreateView(MerchantApiView):
    @extend_schema(
        operation_id="payments_list",
        parameters=[
            PaymentFilters,
            OpenApiParameter("limit", int, description="page size, at most 100"),
        ],
        responses={200: s.PaymentSerializer(many=True), 401: s.ErrorSerializer},
    )
    def get(self, request):
        filters = PaymentFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.merchant_payments(merchant_id=self.merchant_id, **filters.validated_data)
        paginator = PaymentCursor()
        page = paginator.paginate_queryset(qs.prefetch_related("refunds"), request, view=self)
        return paginator.get_paginated_response(s.PaymentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="payments_create",
        request=s.PaymentCreateSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.PaymentSerializer, **ERRORS},
        description="A kiosk payment (kiosk_id: the customer pays at that kiosk) or "
        "an online request (customer_phone: the customer confirms on their phone).",
    )
    @idempotent
    def post(self, request):
        data = s.PaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        customer_id = None
        if "customer_phone" in values:
            customer_id = selectors.online_customer_id(phone_e164=values["customer_phone"])
        elif "customer_email" in values:
            customer_id = selectors.online_customer_id(email=values["customer_email"])
        expires = values.get("expires_in_seconds")
        payment = services.payment_create(
            merchant_id=self.merchant_id,
            amount_minor=values["amount_minor"],
            currency=values.get("currency") or request.auth.merchant.currency,
            kiosk_id=values.get("kiosk_id"),
            customer_id=customer_id,
            description=values.get("description", ""),
            return_url=values.get("return_url", ""),
            expires_in=timedelta(seconds=expires) if expires else None,
            idempotency_key=request.idempotency_key,
            request_fingerprint=request.idempotency_fingerprint,
        )
        return Response(s.PaymentSerializer(payment).data, status=201)


class PaymentDetailView(MerchantApiView):
    @extend_schema(
        operation_id="payments_retrieve",
        responses={200: s.PaymentSerializer, 404: s.ErrorSerializer},
    )
    def get(self, request, payment_id: int):
        payment = selectors.payment_get(payment_id=payment_id, merchant_id=self.merchant_id)
        return Response(s.PaymentSerializer(payment).data)


class PaymentCancelView(MerchantApiView):
    @extend_schema(
        operation_id="payments_cancel",
        request=s.CancelSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: s.PaymentSerializer, **ERRORS},
    )
    @idempotent
    def post(self, request, payment_id: int):
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = selectors.payment_get(payment_id=payment_id, merchant_id=self.merchant_id)
        payment = services.payment_cancel(
            payment_id=payment.pk, reason=data.validated_data.get("reason") or "merchant_canceled"
        )
        if payment.status != Payment.Status.CANCELED:
            raise ApiError(
                409,
                "payment_error",
                "payment_not_cancelable",
                _("a payment that is “%(status)s” cannot be canceled")
                % {"status": status_label(payment.status)},
            )
        return Response(s.PaymentSerializer(payment).data)


class PaymentRefundView(MerchantApiView):
    @extend_schema(
        operation_id="payments_refund",
        request=s.RefundCreateSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.RefundSerializer, **ERRORS},
    )
    @idempotent
    def post(self, request, payment_id: int):
        if not request.body.strip():
            # Money leaves only when asked for in so many words: {} for all that is left.
            raise ApiError(
                400,
                "invalid_request_error",
                "parameter_missing",
                _('send a JSON object: {} refunds all that is left, {"amount_minor": 100} a part'),
            )
        data = s.RefundCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = selectors.payment_get(payment_id=payment_id, merchant_id=self.merchant_id)
        refund = services.payment_refund(
            payment_id=payment.pk,
            amount_minor=data.validated_data.get("amount_minor"),
            reason=data.validated_data.get("reason", ""),
            idempotency_key=request.idempotency_key,
            request_fingerprint=request.idempotency_fingerprint,
        )
        return Response(s.RefundSerializer(refund).data, status=201)


class KioskListView(MerchantApiView):
    @extend_schema(operation_id="kiosks_list", responses={200: s.KioskSerializer(many=True)})
    def get(self, request):
        kiosks = merchant_selectors.merchant_kiosks(merchant_id=self.merchant_id)
        return Response({"object": "list", "results": s.KioskSerializer(kiosks, many=True).data})
