from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.consents import do_record_consent
from crm.forms import ConsentForm
from crm.models import Consent
from crm.pagination import paginate
from crm.permissions import access_scoped
from crm.services import DomainError, NotAllowed, has_consent, subject_fields
from crm.views.records import access_subject, require_any, subject_url
from referrals import forms, queries, services
from referrals.models import CHANGE_ACTIONS, Referral
from referrals.permissions import parties_of


@login_required
def referral_create(request, kind: str, pk: int):
    """Refer a company or founder. Without the subject's consent to share with the chosen
    operator, the page asks for the consent too (crm.consents' rules, evidence and all) and
    keeps what was typed; a consent in force at once lets the referral go in the same post."""
    subject = access_subject(request.user, kind, pk, "change_records")
    form = forms.ReferralForm(request.POST or None, user=request.user, subject=subject)
    consent_form = None
    if form.is_valid():
        consent_form = consent_step(request, subject, form)
        referral = None if form.errors else refer(request, subject, form, consent_form)
        if referral is not None:
            messages.success(request, _("Henvisningen er sendt."))
            return redirect("referral-detail", referral.pk)
    context = {
        "form": form,
        "consent_form": consent_form,
        "subject": subject,
        "title": _("Henvis %(name)s") % {"name": subject.name},
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "referrals/referral_form.html", context, status=status)


def consent_step(request, subject, form) -> ConsentForm | None:
    """The consent form the referral still needs; None when the consent is in force, or when
    one awaits the subject's confirmation (then the form says so: no second consent)."""
    target = form.cleaned_data["target_operator"]
    if target is None or has_consent(subject, target):
        return None
    waiting = Consent.objects.filter(**subject_fields(subject)).live().covering([target.pk])
    if waiting.exists():
        form.add_error(None, awaiting_confirmation(subject))
        return None
    return referral_consent_form(request, subject, target)


def referral_consent_form(request, subject, target) -> ConsentForm:
    """The consent to share with ``target``: bound once the page has shown it (``with_consent``
    is posted), else offered, named to ``target``."""
    initial = {"scope": Consent.Scope.NAMED, "operators": [target]}
    data = (request.POST, request.FILES) if "consent-with_consent" in request.POST else ()
    return ConsentForm(*data, user=request.user, subject=subject, prefix="consent", initial=initial)


def refer(request, subject, form, consent_form) -> Referral | None:
    """Record the consent (when asked) and send the referral; None with the refusals on the
    forms."""
    if consent_form is not None:
        if not consent_form.is_bound:
            form.add_error(None, consent_missing(subject, form.cleaned_data["target_operator"]))
        if not consent_form.is_valid():
            return None
        try:
            consent = do_record_consent(request.user, subject, **consent_form.cleaned_data)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except DomainError as error:
            consent_form.add_error(None, str(error))
            return None
        if consent.confirmed_at is None:
            form.add_error(None, awaiting_confirmation(subject))
            return None
    try:
        return services.send_referral(request.user, subject, **form.cleaned_data)
    except DomainError as error:
        form.add_error(None, str(error))
        return None


def consent_missing(subject, target) -> str:
    return _(
        "%(name)s har ikke givet samtykke til at dele sine oplysninger med %(target)s. "
        "Registrér samtykket nedenfor; henvisningen sendes, når det gælder."
    ) % {"name": subject.name, "target": target}


def awaiting_confirmation(subject) -> str:
    return _(
        "Samtykket er registreret, men gælder først, når %(name)s har bekræftet det eller en "
        "operatør, der har vejledt, har godkendt det. Send henvisningen derefter."
    ) % {"name": subject.name}


# The triage queue lists referrals its user triages: the user is their receiver's triage
# staff, and so may also work them.
QUEUE_PARTIES = {"target", "worker"}


def queue_row(referral: Referral, error=None) -> dict:
    return {"referral": referral, "buttons": referral.changes_now(QUEUE_PARTIES), "error": error}


@login_required
def triage_queue(request):
    require_any(request.user, "triage_referrals")
    filters = forms.QueueFilterForm(request.GET or None, user=request.user)
    queue = queries.triage_queue(request.user, **filters.filters())
    page = paginate(request, queue)
    rows = [queue_row(referral) for referral in page]
    context = {"page": page, "rows": rows, "filters": filters}
    return render(request, "referrals/queue.html", context)


@login_required
def sent_referrals(request):
    require_any(request.user, "change_records")
    referrals = queries.sent_by_operators_of(request.user)
    page = paginate(request, referrals)
    return render(request, "referrals/sent.html", {"page": page})


def referral_context(user, referral: Referral) -> dict:
    """The buttons the user's parties may press now (the state table), the assignment of an
    open referral (its triage staff) and the uptake of one to an adviser (its sender)."""
    parties = parties_of(user, referral)
    assignable = "target" in parties and referral.target_operator and not referral.is_finished
    return {
        "referral": referral,
        "buttons": referral.changes_now(parties),
        "assign_form": forms.AssignForm(referral=referral) if assignable else None,
        "asks_uptake": "sender" in parties and referral.target_adviser_id is not None,
    }


@login_required
def referral_detail(request, pk: int):
    referral = access_scoped(request.user, Referral.objects.all(), "view_records", pk=pk)
    context = referral_context(request.user, referral)
    context["events"] = referral.state_changes.select_related("by")
    context["decline_form"] = forms.DeclineForm()
    context["uptake_form"] = forms.UptakeForm(initial={"uptake": referral.uptake})
    context["subject_url"] = subject_url(referral.subject)
    return render(request, "referrals/detail.html", context)


def run_action(request, referral: Referral, action: str) -> None:
    """Call the service for ``action`` with the posted fields."""
    user = request.user
    if action == "accept":
        services.accept_referral(user, referral)
    elif action == "contacted":
        services.mark_contacted(user, referral)
    elif action == "complete":
        services.complete_referral(user, referral)
    elif action == "withdraw":
        services.withdraw_referral(user, referral)
    elif action == "decline":
        services.decline_referral(user, referral, reason=request.POST.get("reason", ""))
    elif action == "assign":
        form = forms.AssignForm(request.POST, referral=referral)
        if not form.is_valid():
            raise DomainError(
                _("Vælg en kollega hos %(operator)s.") % {"operator": referral.target_operator}
            )
        services.assign_referral(user, referral, assignee=form.cleaned_data["assignee"])
    elif action == "uptake":
        form = forms.UptakeForm(request.POST)
        if not form.is_valid():
            raise DomainError(_("Vælg et af svarene."))
        services.record_uptake(user, referral, uptake=form.cleaned_data["uptake"])


# The state table's actions, and the two that change no state.
ACTIONS = [*CHANGE_ACTIONS, "assign", "uptake"]


@login_required
@require_POST
def referral_action(request, pk: int, action: str):
    """One click on a referral; an htmx request gets the refreshed queue row back."""
    referral = access_scoped(request.user, Referral.objects.all(), "view_records", pk=pk)
    try:
        run_action(request, referral, action)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        if request.htmx:  # the row again, as it is now, with the message in it
            referral = queries.referrals_visible_to(request.user).get(pk=pk)
            return render(request, "referrals/queue.html#row", queue_row(referral, error))
        messages.error(request, str(error))
        return redirect("referral-detail", pk)
    if request.htmx:
        referral = queries.referrals_visible_to(request.user).get(pk=pk)
        return render(request, "referrals/queue.html#row", queue_row(referral))
    messages.success(request, _("Henvisningen er opdateret."))
    return redirect("referral-detail", pk)
