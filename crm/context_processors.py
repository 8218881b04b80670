from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.permissions import roles_of

# (url name, label, roles that see it). Each role sees only what it may use.
NAVIGATION = [
    ("home", _("Forside"), {"consultant", "manager", "triage", "viewer"}),
    ("municipality-list", _("Kommuner"), {"consultant", "manager", "triage", "viewer"}),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    roles = roles_of(request.user)
    items = [
        {"url": reverse(name), "label": label, "active": request.path == reverse(name)}
        for name, label, allowed in NAVIGATION
        if roles & allowed
    ]
    return {"nav_items": items, "user_roles": roles}
