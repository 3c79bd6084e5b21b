from django.contrib import admin

from payments.models import Kiosk, Merchant, MerchantMembership


class MembershipInline(admin.TabularInline):
    model = MerchantMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    list_display = ["name", "merchant", "location", "paired_at", "revoked_at"]
    list_filter = ["merchant"]
    search_fields = ["name", "location"]
    exclude = ["device_token_hash"]
