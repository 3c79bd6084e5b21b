from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from accounts.phones import normalize_phone


class EmailOrPhoneBackend(ModelBackend):
    """Sign in with an email address or a phone number (any format we can parse)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        user_model = get_user_model()
        lookup = {"email__iexact": identifier}
        if "@" not in identifier:
            try:
                lookup = {"phone_e164": normalize_phone(identifier)}
            except ValidationError:
                return None
        try:
            user = user_model.objects.get(**lookup)
        except user_model.DoesNotExist:
            # Run the hasher anyway so timing does not reveal which accounts exist.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
