"""The manager's migration import pages: upload, map the columns, read the check, confirm,
follow the progress (htmx polls the batch), download the bad rows, undo."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm import imports
from crm.models import ImportBatch, Membership
from crm.models.subjects import operator_ids_of
from crm.services import DomainError
from crm.spreadsheets import CONTENT_TYPES, file_response

MAX_UPLOAD = 50 * 1024 * 1024


class StartForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Indhold"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(
        label=gettext_lazy("Fil (CSV eller XLSX)"),
        help_text=gettext_lazy("Fx en eksport fra det fælles erhvervsservice-CRM."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("Filen er for stor (højst 50 MB)."))
        return upload


class MappingForm(forms.Form):
    """One choice of the file's columns per field."""

    def __init__(self, *args, batch: ImportBatch, **kwargs):
        super().__init__(*args, **kwargs)
        columns = [("", "—"), *((c, c) for c in batch.columns if c)]
        for spec in imports.FIELDS[batch.kind]:
            self.fields[spec.name] = forms.ChoiceField(
                label=spec.label, choices=columns, required=spec.required
            )
        self.initial = batch.mapping


def access_batch(user, pk: int) -> ImportBatch:
    """A batch of one of the user's operators (else 404), for its managers (else 403)."""
    batch = ImportBatch.objects.filter(pk=pk, operator__in=operator_ids_of(user)).first()
    if batch is None:
        raise Http404
    manages = Membership.objects.filter(
        user=user, operator=batch.operator_id, role=Membership.Role.MANAGER
    )
    if not manages.exists() or not imports.import_municipality_ids(user):
        raise PermissionDenied
    return batch


@login_required
def import_list(request):
    imports.check_can_import(request.user)
    batches = imports.visible_batches(request.user).select_related("created_by")[:50]
    return render(request, "crm/import_list.html", {"batches": batches})


@login_required
def import_start(request):
    imports.check_can_import(request.user)
    form = StartForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = imports.do_start_import(
                request.user, kind=form.cleaned_data["kind"], name=upload.name, data=upload.read()
            )
        except DomainError as error:
            form.add_error("file", str(error))
        else:
            return redirect("import-detail", batch.pk)
    status = 400 if form.errors else 200
    return render(request, "crm/import_start.html", {"form": form}, status=status)


@login_required
def import_detail(request, pk: int):
    """Before the check: the mapping of the columns; after: the state, polled while the
    batch runs, with the counts, the bad rows and the buttons."""
    batch = access_batch(request.user, pk)
    form = None
    if batch.state == ImportBatch.State.UPLOADED:
        form = MappingForm(request.POST or None, batch=batch)
        if form.is_valid():
            try:
                imports.do_set_mapping(batch, {f: c for f, c in form.cleaned_data.items() if c})
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                return redirect("import-detail", pk)
    template = "crm/import_detail.html#state" if request.htmx else "crm/import_detail.html"
    context = {
        "batch": batch,
        "form": form,
        "error_lines": imports.error_lines(batch),
        "errors": batch.errors[:200],
        "blockers": imports.undo_blockers(batch) if batch.state == "done" else [],
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, template, context, status=status)


@login_required
def import_errors(request, pk: int):
    """The bad rows as CSV (CPR masked), to fix in the original file."""
    batch = access_batch(request.user, pk)
    name = f"fejl-{batch.pk}.csv"
    return file_response(imports.error_file(batch), CONTENT_TYPES["csv"], name)


@login_required
@require_POST
def import_confirm(request, pk: int):
    batch = access_batch(request.user, pk)
    try:
        imports.do_confirm_import(request.user, batch)
    except DomainError as error:
        messages.error(request, str(error))
        return render_detail_refused(request, batch)
    messages.success(request, _("Indlæsningen er startet."))
    return redirect("import-detail", pk)


@login_required
@require_POST
def import_undo(request, pk: int):
    batch = access_batch(request.user, pk)
    try:
        imports.do_undo_import(request.user, batch)
    except DomainError as error:
        messages.error(request, str(error))
        return render_detail_refused(request, batch)
    messages.success(request, _("Indlæsningen er fortrudt."))
    return redirect("import-detail", pk)


def render_detail_refused(request, batch: ImportBatch):
    context = {
        "batch": batch,
        "error_lines": imports.error_lines(batch),
        "errors": batch.errors[:200],
        "blockers": imports.undo_blockers(batch) if batch.state == "done" else [],
    }
    return render(request, "crm/import_detail.html", context, status=400)
