from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.notifications import unread_count
from crm.permissions import roles_of

# (url name, label, roles that see it). Each role sees only what it may use.
WORKERS = {"consultant", "manager", "triage"}
NAVIGATION = [
    ("home", _("Forside"), WORKERS | {"viewer"}),
    ("search", _("Søg"), WORKERS),
    ("company-list", _("Virksomheder"), WORKERS),
    ("founder-list", _("Iværksættere"), WORKERS),
    ("session-list", _("Vejledninger"), WORKERS),
    ("follow-ups", _("Opfølgning"), WORKERS),
    ("offline-app", _("Besøg uden net"), WORKERS),
    ("network-list", _("Netværk"), WORKERS),
    ("event-list", _("Arrangementer"), WORKERS),
    ("triage-queue", _("Visitation"), {"triage"}),
    ("referral-sent", _("Henvisninger"), {"consultant", "manager"}),
    ("contract-list", _("Kontrakter"), WORKERS | {"viewer"}),
    ("report-list", _("Rapporter"), WORKERS | {"viewer"}),
    ("activity-dashboard", _("Aktivitet"), {"manager"}),
    ("my-month", _("Min måned"), {"consultant", "triage"}),
    ("municipality-list", _("Kommuner"), WORKERS | {"viewer"}),
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
    return {"nav_items": items, "user_roles": roles, "unread": unread_count(request.user)}
