from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.db.models import F


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields: Any):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any):
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create_user(email, password, **fields)

    def holding_phone(self, phone_e164: str):
        """Who holds this number: the account that verified it first (there is at most
        one), then any that signed up with it and never verified it."""
        return self.filter(phone_e164=phone_e164).order_by(
            F("phone_verified_at").asc(nulls_last=True), "pk"
        )

    def phone_taken(self, phone_e164: str, *, besides=None) -> bool:
        """Whether an account (other than `besides`) has verified this number: the one
        thing that makes a number unavailable (see User.Meta's constraint)."""
        verified = self.filter(phone_e164=phone_e164, phone_verified_at__isnull=False)
        if besides is not None:
            verified = verified.exclude(pk=besides)
        return verified.exists()
