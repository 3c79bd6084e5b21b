"""The operator's Django admin. Money rows are read-only here: they change through services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.db import models
from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from merchants.models import Merchant
from payments import services
from payments.errors import PaymentError
from payments.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    RecognitionAttempt,
    Refund,
    WebhookDelivery,
)
from payments.selectors import payment_events
from smilepay.money import format_money


class ReadOnlyAdmin(admin.ModelAdmin):
    # Django 6 makes https the scheme a bare host gets; say so now (and no warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _currencies_in_use() -> list[tuple[str, str]]:
    """The site's currency and every merchant's: a wallet in any other could pay nobody."""
    used = {settings.DEFAULT_CURRENCY, *Merchant.objects.values_list("currency", flat=True)}
    return [(code, code) for code in sorted(used)]


class TopUpForm(forms.Form):
    amount_minor = forms.IntegerField(
        min_value=1, label=_("Amount in minor units"), help_text=_("e.g. 2500 = 25.00")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=_currencies_in_use)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.DEFAULT_CURRENCY


def top_up_wallets(modeladmin, request, queryset):
    """Admin action on users: put demo money into each selected customer's wallet."""
    form = TopUpForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        for user in queryset:
            try:
                services.wallet_topup(
                    user_id=user.pk,
                    amount_minor=form.cleaned_data["amount_minor"],
                    currency=form.cleaned_data["currency"],
                    memo=f"admin top-up by {request.user}",
                )
            except PaymentError as exc:
                modeladmin.message_user(request, f"{user}: {exc.message}", messages.ERROR)
        count = queryset.count()
        modeladmin.message_user(
            request,
            ngettext(
                "Topped up %(count)d wallet with %(amount)s.",
                "Topped up %(count)d wallets with %(amount)s each.",
                count,
            )
            % {
                "count": count,
                "amount": format_money(
                    form.cleaned_data["amount_minor"], form.cleaned_data["currency"]
                ),
            },
        )
        return None
    return render(
        request,
        "payments/admin_topup.html",
        {
            "form": form,
            "users": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


top_up_wallets.short_description = _("Top up wallets (demo money)")


def _register_user_action() -> None:
    # accounts owns the User admin; we add our action to it rather than replace it.
    user_admin = admin.site._registry.get(get_user_model())
    if user_admin is not None and top_up_wallets not in (user_admin.actions or []):
        user_admin.actions = [*(user_admin.actions or []), top_up_wallets]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "user", "merchant", "currency", "balance_minor", "held_minor"]
    list_filter = ["kind", "currency"]
    search_fields = ["user__email", "merchant__name"]
    actions = ["top_up"]

    @admin.action(description=_("Top up these customer wallets (demo money)"))
    def top_up(self, request, queryset):
        users = get_user_model().objects.filter(
            pk__in=queryset.filter(kind="customer").values("user_id")
        )
        return top_up_wallets(self, request, users)


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount_minor", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "payment", "memo", "created_at"]
    list_filter = ["kind"]
    inlines = [EntryInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "merchant",
        "kiosk",
        "customer",
        "amount",
        "status",
        "reason",
        "created_at",
    ]
    list_filter = ["status", "channel", "merchant"]
    search_fields = ["pk", "description", "customer__email"]
    readonly_fields = ["audit_trail"]

    @admin.display(description=_("Amount"), ordering="amount_minor")
    def amount(self, obj: Payment) -> str:
        return format_money(obj.amount_minor, obj.currency)

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Payment) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "{} {} {}",
            (
                (e.created_at.isoformat(timespec="seconds"), e.name, e.data)
                for e in payment_events(payment_id=obj.pk)
            ),
        )


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["pk", "payment", "amount", "reason", "created_at"]
    list_select_related = ["payment"]

    @admin.display(description=_("Amount"), ordering="amount_minor")
    def amount(self, obj: Refund) -> str:
        return format_money(obj.amount_minor, obj.payment.currency)


@admin.register(RecognitionAttempt)
class RecognitionAttemptAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "kiosk",
        "payment",
        "outcome",
        "customer",
        "best_distance",
        "margin",
        "liveness_score",
        "pad_score",
        "phone_digits_used",
        "searched_identities",
        "flagged_by_customer_at",
        "created_at",
    ]
    list_filter = ["outcome", "phone_digits_used"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
    ]
    list_filter = ["status", "event_type"]


_register_user_action()
