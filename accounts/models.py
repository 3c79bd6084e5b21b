from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone

from accounts.managers import UserManager
from accounts.phones import last4, normalize_phone


class User(AbstractBaseUser, PermissionsMixin):
    """A person: customer, merchant staff or operator. Signs in by email or phone."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone_e164 = models.CharField(
        "phone number",
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text="E.164, e.g. +15551234567",
    )
    # The kiosk narrows a 1:N search by these digits, so they get an index of their own.
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.phone_e164:
            self.phone_e164 = normalize_phone(self.phone_e164)

    def save(self, *args, **kwargs) -> None:
        self.phone_e164 = self.phone_e164 or None
        self.phone_last4 = last4(self.phone_e164 or "")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone_e164" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_last4"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]
