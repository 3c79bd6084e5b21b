"""The operator's Django admin for merchants, their staff, kiosks, API keys and webhook
endpoints. Secrets (device tokens, webhook secrets) are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from merchants.models import ApiKey, Kiosk, Merchant, MerchantMembership, WebhookEndpoint


class MembershipInline(admin.TabularInline):
    model = MerchantMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "created_at"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug", "currency", "return_hosts"]
    inlines = [MembershipInline]


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "location", "paired_at", "revoked_at"]
    list_filter = ["merchant"]
    search_fields = ["name", "location"]
    exclude = ["device_token_hash"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_filter = ["merchant"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "merchant", "is_active", "created_at"]
    exclude = ["secret"]
    # Django 6 makes https the scheme a bare host gets; say so now (and no warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
