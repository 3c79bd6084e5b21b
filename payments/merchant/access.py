"""Who may see what on the merchant site: sign-in, a membership, and a role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from merchants.models import MerchantMembership
from merchants.selectors import memberships_of

SESSION_KEY = "merchant_id"
Role = MerchantMembership.Role
MANAGERS = (Role.OWNER, Role.MANAGER)


def current_membership(request: HttpRequest) -> MerchantMembership | None:
    memberships = MerchantMembership.objects.filter(user=request.user).select_related("merchant")
    wanted = request.session.get(SESSION_KEY)
    chosen = None
    for membership in memberships:
        if membership.merchant_id == wanted:
            return membership
        chosen = chosen or membership
    return chosen


def merchant_view(*, manage: bool = False) -> Callable:
    """Require a signed-in member; `manage` also requires the owner or manager role.

    Sets request.merchant and request.membership; every query in the view filters by
    request.merchant, which is how staff of one merchant never see another's data.
    """

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            membership = current_membership(request)
            if membership is None:
                raise PermissionDenied(_("You are not a member of any merchant."))
            if manage and membership.role not in MANAGERS:
                raise PermissionDenied(_("This needs the owner or manager role."))
            request.membership = membership
            request.merchant = membership.merchant
            # For the switcher in the header: a person may staff several merchants.
            request.memberships = lambda: memberships_of(user_id=request.user.pk).order_by(
                "merchant__name"
            )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def can_manage(request: HttpRequest) -> bool:
    return request.membership.role in MANAGERS
