"""The manager's page for merging a duplicate company or founder into the one to keep."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import merging
from crm.imports import import_municipality_ids
from crm.permissions import access_scoped
from crm.services import DomainError


class MergeForm(forms.Form):
    duplicate = forms.IntegerField(
        label=gettext_lazy("Id på dubletten, der lægges ind i denne post"),
        min_value=1,
        help_text=gettext_lazy("Dubletten slettes; alt registreret på den flyttes hertil."),
    )


def access_mergeable(user, kind: str, pk: int):
    """The record through the user's permissions (404/403), for a manager (403)."""
    model = merging.MERGEABLE[kind]
    record = access_scoped(user, model.objects.all(), "change_records", pk=pk)
    if record.municipality_id not in import_municipality_ids(user):
        raise PermissionDenied
    return record


@login_required
def merge(request, pk: int, kind: str):
    survivor = access_mergeable(request.user, kind, pk)
    form = MergeForm(request.POST or None)
    if form.is_valid():
        model = merging.MERGEABLE[kind]
        duplicate = (
            model.objects.visible_to(request.user, "change_records")
            .filter(pk=form.cleaned_data["duplicate"])
            .first()
        )
        try:
            if duplicate is None:
                raise DomainError(_("Dubletten findes ikke i dine kommuner."))
            merging.do_merge(request.user, survivor, duplicate)
        except (DomainError, PermissionDenied) as error:
            form.add_error("duplicate", str(error) or _("Du kan ikke lægge denne post sammen."))
        else:
            messages.success(request, _("Posterne er lagt sammen."))
            return redirect(f"{kind}-detail", pk)
    status = 400 if form.errors else 200
    context = {"form": form, "survivor": survivor, "kind": kind}
    return render(request, "crm/merge.html", context, status=status)
