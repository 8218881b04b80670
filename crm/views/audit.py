"""A company's or founder's change history, for the managers of the operators that hold it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from crm import audit
from crm.permissions import AUDIT
from crm.views.records import access_subject


@login_required
def subject_history(request, kind: str, pk: int):
    subject = access_subject(request.user, kind, pk, AUDIT)
    page = audit.subject_history(request.user, subject, request.GET.get("after", ""))
    context = {"subject": subject, "kind": kind, "page": page}
    return render(request, "crm/audit/history.html", context)
