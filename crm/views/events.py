"""The pages of events and group activities: the list, the event form, the event with its
participants (register before, mark who came after), and making a participant without CVR or
CPR a founder or a company record."""

from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from crm import consents, event_forms, events, forms
from crm.models import ConsentAccess, Event, EventParticipant
from crm.pagination import paginate
from crm.permissions import access_scoped, has_municipality_perm
from crm.services import DomainError, DuplicateRecord, NotAllowed
from crm.views.records import by_municipality, duplicate_message, refused, require_any


def access_event(user, pk: int, perm: str) -> Event:
    return access_scoped(
        user, Event.objects.select_related("municipality", "operator"), perm, pk=pk
    )


def access_run_event(user, pk: int) -> Event:
    """The event, for a change by staff of its organiser or partners (others 403)."""
    event = access_event(user, pk, "change_records")
    try:
        events.check_can_run_event(user, event)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    return event


def access_participant(user, pk: int) -> EventParticipant:
    """A participant, for a change by staff of its event's organiser or partners (others
    403)."""
    rows = EventParticipant.objects.select_related("event__municipality", "municipality")
    participant = access_scoped(user, rows, "change_records", pk=pk)
    try:
        events.check_can_run_event(user, participant.event)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    return participant


def linked_already(request, participant: EventParticipant):
    """Back to the event, saying so, when the participant is a company or founder already."""
    if participant.kind == EventParticipant.Kind.PERSON:
        return None
    text = _("Deltageren er allerede knyttet til %(name)s.") % {"name": participant.subject.name}
    messages.info(request, text)
    return redirect("event-detail", participant.event_id)


@login_required
def event_list(request):
    require_any(request.user, "view_records")
    rows = (
        Event.objects.visible_to(request.user)
        .select_related("municipality", "operator")
        .annotate(participant_count=Count("participants"))
    )
    rows, choices = by_municipality(request, rows)
    context = {
        "page": paginate(request, rows.order_by("-date", "-pk")),
        "can_create": forms.changeable_municipalities(request.user).exists(),
        **choices,
    }
    return render(request, "crm/events/event_list.html", context)


@login_required
def event_create(request):
    require_any(request.user, "change_records")
    form = event_forms.EventForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            event = events.do_create_event(request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Arrangementet er oprettet."))
            return redirect("event-detail", event.pk)
    context = {"form": form, "title": _("Nyt arrangement")}
    return render(request, "crm/events/event_form.html", context)


@login_required
def event_edit(request, pk: int):
    event = access_run_event(request.user, pk)
    form = event_forms.EventForm(request.POST or None, instance=copy(event), user=request.user)
    if form.is_valid():
        try:
            events.do_update_event(request.user, event, **form.cleaned_data)
        except DomainError as error:
            refused(form, error)
        else:
            messages.success(request, _("Ændringerne er gemt."))
            return redirect("event-detail", pk)
    context = {"form": form, "title": _("Ret %(name)s") % {"name": event.title}, "event": event}
    return render(request, "crm/events/event_form.html", context)


def detail_context(request, event: Event, participant_form=None) -> dict:
    """The event with the participants the user may see; a read on the strength of a consent
    (another operator's event) is logged."""
    participants = list(
        event.participants.visible_to(request.user).select_related(
            "company", "founder", "municipality"
        )
    )
    runs = events.runs_event(request.user, event)
    if not runs:
        reads = {ConsentAccess.Record.EVENT: participants}
        consents.do_log_consent_reads(request.user, reads, source=request.path)
    can_run = runs and has_municipality_perm(request.user, "change_records", event.municipality)
    return {
        "event": event,
        "participants": participants,
        "partners": list(event.partners.all()),
        "can_run": can_run,
        "participant_form": participant_form
        or event_forms.ParticipantForm(
            user=request.user, initial={"municipality": event.municipality_id}
        ),
    }


@login_required
def event_detail(request, pk: int):
    event = access_event(request.user, pk, "view_records")
    return render(request, "crm/events/event_detail.html", detail_context(request, event))


@login_required
@require_POST
@sensitive_post_parameters("cpr_number")
def event_register(request, pk: int):
    """Register a participant; a refused one shows the event again with the form's errors."""
    event = access_run_event(request.user, pk)
    form = event_forms.ParticipantForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            participant = events.do_register_participant(request.user, event, **form.participant())
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s er tilmeldt.") % {"name": participant})
            return redirect("event-detail", pk)
    context = detail_context(request, event, participant_form=form)
    return render(request, "crm/events/event_detail.html", context, status=400)


@login_required
@require_POST
def event_attendance(request, pk: int):
    event = access_run_event(request.user, pk)
    form = event_forms.AttendanceForm(request.POST, event=event)
    if not form.is_valid():
        messages.error(request, _("Kun arrangementets egne deltagere kan markeres som mødt."))
        return redirect("event-detail", pk)
    try:
        events.do_mark_attendance(request.user, event, present=form.cleaned_data["present"])
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Fremmødet er gemt."))
    return redirect("event-detail", pk)


def made(request, participant, record, created: bool) -> None:
    if created:
        text = _("%(name)s er oprettet og knyttet til deltagelsen i %(event)s.")
    else:
        text = _("%(name)s var allerede registreret; deltagelsen i %(event)s er knyttet til den.")
    messages.success(request, text % {"name": record.name, "event": participant.event.title})


@login_required
@sensitive_post_parameters("cpr_number")
def participant_make_founder(request, pk: int):
    """The founder form, filled in from the participant; saving links the participation."""
    participant = access_participant(request.user, pk)
    if response := linked_already(request, participant):
        return response
    initial = {
        "name": participant.name,
        "email": participant.email,
        "municipality": participant.municipality_id,
    }
    form = forms.FounderForm(request.POST or None, initial=initial, user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            founder, created = events.do_make_founder_from_participant(
                request.user, participant, cpr_number=data.pop("cpr_number"), **data
            )
        except DuplicateRecord as error:
            form.add_error("cpr_number", duplicate_message(request.user, error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            made(request, participant, founder, created)
            return redirect("founder-detail", founder.pk)
    title = _("Opret %(name)s som iværksætter") % {"name": participant.name}
    context = {"form": form, "title": title, "event": participant.event}
    return render(request, "crm/record_form.html", context)


@login_required
def participant_make_company(request, pk: int):
    """The company form, filled in from the participant; saving links the participation."""
    participant = access_participant(request.user, pk)
    if response := linked_already(request, participant):
        return response
    initial = {"name": participant.name, "municipality": participant.municipality_id}
    form = forms.CompanyForm(request.POST or None, initial=initial, user=request.user)
    if form.is_valid():
        try:
            company, created = events.do_make_company_from_participant(
                request.user, participant, **form.cleaned_data
            )
        except DuplicateRecord as error:
            form.add_error("cvr", duplicate_message(request.user, error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            made(request, participant, company, created)
            return redirect("company-detail", company.pk)
    title = _("Opret virksomhed for %(name)s") % {"name": participant.name}
    return render(request, "crm/company_form.html", {"form": form, "title": title})
