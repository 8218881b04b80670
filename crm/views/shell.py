from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.models import Municipality, Notification, Operator
from crm.notifications import do_mark_read
from crm.pagination import paginate
from crm.permissions import (
    CONSENT_LOG,
    ERASE,
    MEMBER,
    access_municipality,
    has_municipality_perm,
)


@login_required
def municipality_list(request):
    municipalities = (
        Municipality.objects.for_user(request.user, MEMBER)
        .select_related("region", "hub")
        .order_by("name")
    )
    return render(request, "crm/municipality_list.html", {"municipalities": municipalities})


@login_required
def municipality_detail(request, code: str):
    municipality = access_municipality(request.user, "view_records", code=code)
    operators = Operator.objects.filter(municipalities=municipality, active=True)
    context = {
        "municipality": municipality,
        "operators": operators,
        "consent_log": has_municipality_perm(request.user, CONSENT_LOG, municipality),
        "retention": has_municipality_perm(request.user, ERASE, municipality),
    }
    return render(request, "crm/municipality_detail.html", context)


@login_required
def inbox(request):
    notifications = Notification.objects.filter(recipient=request.user)
    page = paginate(request, notifications)
    return render(request, "crm/inbox.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark read and follow the notification's link."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    do_mark_read(request.user, notification)
    return redirect(notification.url or "inbox")
