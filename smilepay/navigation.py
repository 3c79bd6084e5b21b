"""Where a signed-in person belongs: merchant staff on the merchant site, everyone else in
the customer portal. The project package may look at both apps; accounts may not."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from merchants.selectors import memberships_of


def is_merchant_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False

    return memberships_of(user_id=user.pk).exists()


def home_of(user) -> str:
    """The page a person lands on after signing in (when no safe `next` says otherwise)."""
    return "/merchant/" if is_merchant_staff(user) else "/me/"


def navigation(request: HttpRequest) -> dict:
    """Template context: is the signed-in person merchant staff? Asked only when used."""
    return {"is_merchant_staff": SimpleLazyObject(lambda: is_merchant_staff(request.user))}
