from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "phone_e164", "is_staff", "is_active"]
    search_fields = ["email", "full_name", "phone_e164", "phone_last4"]
    readonly_fields = ["phone_last4", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {"fields": ["full_name", "phone_e164", "phone_last4", "phone_verified_at", "language"]},
        ),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


from accounts.models import (  # noqa: E402
    AuditEvent,
    ConsentRecord,
    FaceFlag,
    FaceProfile,
    PushSubscription,
)


@admin.register(FaceFlag)
class FaceFlagAdmin(admin.ModelAdmin):
    """Enrollments refused because the face matched another customer: look into them."""

    list_display = ["created_at", "kind", "user", "other_user", "distance", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "other_user__email"]
    readonly_fields = ["user", "kind", "other_user", "distance", "note", "created_at"]
    actions = ["mark_resolved"]

    @admin.action(description=_("Mark as resolved"))
    def mark_resolved(self, request, queryset):
        from django.utils import timezone

        queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())


@admin.register(FaceProfile)
class FaceProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "consent_version", "face_pay_enabled", "paused", "enrolled_at"]
    list_filter = ["face_pay_enabled", "paused", "consent_version"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "consent_version", "consent_granted_at", "enrolled_at"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "action", "version", "ip_address"]
    list_filter = ["action", "version"]
    search_fields = ["user__email"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "user", "payment_id", "ip_address"]
    list_filter = ["name"]
    search_fields = ["user__email", "name", "=payment_id"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_success_at", "user_agent"]
    search_fields = ["user__email"]
    exclude = ["p256dh", "auth"]
