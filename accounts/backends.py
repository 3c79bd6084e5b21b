from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import signin_limits
from accounts.phones import normalize_phone
from smilepay.ratelimit import client_ip


class EmailOrPhoneBackend(ModelBackend):
    """Sign in with an email address or a phone number (any format we can parse).

    An account or address locked by accounts/signin_limits.py is refused here, so every
    way in (portal, merchant site, admin, the kiosk's staff check) is limited alike."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        try:
            tried = signin_limits.signin_try(identifier=identifier, ip=client_ip(request))
        except signin_limits.RateLimited as exc:
            raise PermissionDenied(str(exc)) from exc  # authenticate() stops at this backend
        user_model = get_user_model()
        if "@" in identifier:
            user = user_model.objects.filter(email__iexact=identifier).first()
        else:
            try:
                user = user_model.objects.holding_phone(normalize_phone(identifier)).first()
            except ValidationError:
                return None
        if user is None:
            # Run the hasher anyway so timing does not reveal which accounts exist.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            signin_limits.try_succeeded(tried)
            return user
        return None
