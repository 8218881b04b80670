"""The consultant's pages: search, companies, founders, sessions, consent, follow-ups."""

from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from crm import consents, forms, queries, services
from crm.concurrency import StaleRecord
from crm.models import (
    Company,
    Consent,
    ConsentAccess,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Municipality,
    Network,
)
from crm.pagination import paginate
from crm.permissions import (
    AUDIT,
    ERASE,
    access_scoped,
    check_sees_consent_evidence,
    has_municipality_perm,
)
from crm.services import DomainError, DuplicateRecord, NotAllowed
from crm.tasks import refresh_company_from_register
from crm.views import register as register_views

SUBJECT_MODELS = {"company": Company, "founder": Founder}


def require_any(user, perm: str) -> None:
    """Pages without a municipality in the URL: the user needs ``perm`` somewhere."""
    if not Municipality.objects.for_user(user, perm).exists():
        raise PermissionDenied


def access_subject(user, kind: str, pk: int, perm: str):
    return access_scoped(user, SUBJECT_MODELS[kind].objects.all(), perm, pk=pk)


def subject_url(subject) -> str:
    kind = "company" if isinstance(subject, Company) else "founder"
    return reverse(f"{kind}-detail", args=[subject.pk])


def existing_url(user, error: DuplicateRecord) -> str:
    """The page of the record that is registered already, if the user may see it (pages and
    API link to it)."""
    visible = type(error.existing).objects.visible_to(user).filter(pk=error.existing.pk)
    return subject_url(error.existing) if visible.exists() else ""


def duplicate_message(user, error: DuplicateRecord) -> str:
    """Say the record exists, and link to it only if the user may see it."""
    url = existing_url(user, error)
    if url:
        name = _("Åbn %(name)s") % {"name": error.existing.name}
        return format_html('{} <a href="{}">{}</a>', str(error), url, name)
    return str(error)


# --- Search --------------------------------------------------------------------------------


@login_required
@sensitive_post_parameters("q")
def search(request):
    """As-you-type search. POST, so a CPR number typed here never lands in a URL or a log."""
    require_any(request.user, "view_records")
    text = request.POST.get("q", "") if request.method == "POST" else ""
    context = {
        "q": text,
        "companies": queries.search_companies(request.user, text) if text else [],
        "founders": queries.search_founders(request.user, text) if text else [],
    }
    template = "crm/search.html#results" if request.htmx else "crm/search.html"
    return render(request, template, context)


# --- Companies -----------------------------------------------------------------------------


@login_required
def company_list(request):
    require_any(request.user, "view_records")
    companies = Company.objects.visible_to(request.user).select_related(
        "municipality", "industry_code"
    )
    companies, choices = by_municipality(request, companies)
    return render(
        request,
        "crm/company_list.html",
        {"page": paginate(request, companies.order_by("name", "pk")), **choices},
    )


def by_municipality(request, rows):
    """A list's municipality filter: the rows of the chosen one, and the choices to show."""
    selected = request.GET.get("municipality", "")
    if selected:
        rows = rows.filter(municipality__code=selected)
    municipalities = Municipality.objects.for_user(request.user, "view_records")
    return rows, {"municipalities": municipalities, "selected": selected}


@login_required
def company_create(request):
    """The company form; a CVR number or P-number typed in fills it from the company register
    (crm.views.register), and the consultant confirms by saving."""
    require_any(request.user, "change_records")
    form = forms.CompanyForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            company = services.do_create_company(request.user, **form.cleaned_data)
        except DuplicateRecord as error:
            form.add_error("cvr", duplicate_message(request.user, error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            if company.register_source:  # its production units, read after the commit
                transaction.on_commit(lambda: refresh_company_from_register.delay(company.pk))
            messages.success(request, _("Virksomheden er oprettet."))
            return redirect("company-detail", company.pk)
    context = register_views.form_context(request, form)
    return render(request, "crm/company_form.html", context)


def refused(form, error: DomainError) -> None:
    """Show the service's refusal on the form. Refused because somebody else saved the record
    meanwhile, the form now shows what they saved where the user changed nothing."""
    form.add_error(None, str(error))
    if isinstance(error, StaleRecord):
        form.rebase(error)


@login_required
def company_edit(request, pk: int):
    company = access_subject(request.user, "company", pk, "change_records")
    # The form works on a copy: the service compares old and new values (growth potential).
    form = forms.CompanyForm(request.POST or None, instance=copy(company), user=request.user)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "cvr"}
        try:
            services.do_update_company(request.user, company, **data)
        except DomainError as error:
            refused(form, error)
        else:
            messages.success(request, _("Ændringerne er gemt."))
            return redirect("company-detail", pk)
    return render(
        request,
        "crm/company_form.html",
        {"form": form, "title": _("Ret %(name)s") % {"name": company.name}, "subject": company},
    )


def timeline(user, subject) -> list[tuple]:
    """Everything that happened to the subject, newest first: (date, kind, object)."""
    sessions = (
        queries.sessions_visible_to(user)
        .filter(**services.subject_fields(subject))
        .prefetch_related("consultants")
    )
    events = [(s.date, "session", s) for s in sessions]
    # Beyond the registry facts, other operators see what the subject consented to share.
    shown = (
        subject.consents.visible_to(user)
        .select_related("given_by", "operator", "recorded_by", "correction", "corrects")
        .prefetch_related("operators", "acceptances__operator")
    )
    events += [(c.given_on, "consent", c) for c in shown]
    events += [(p.started_on, "programme", p) for p in subject.programmes.visible_to(user)]
    took_part = subject.event_participations.visible_to(user).select_related("event")
    events += [(p.event.date, "event", p) for p in took_part]
    # Referrals (the referrals app) through the reverse relation: crm does not import it.
    referrals = subject.referrals.visible_to(user).select_related(
        "target_operator", "target_adviser"
    )
    events += [(timezone.localdate(r.sent_at), "referral", r) for r in referrals]
    if isinstance(subject, Company):
        events += [(p.identified_on, "project", p) for p in subject.projects.visible_to(user)]
        events += [(n.started_on, "network", n) for n in subject.networks.all()]
    return sorted(events, key=lambda event: (event[0], event[2].pk), reverse=True)


TIMELINE_READS = {
    "session": ConsentAccess.Record.SESSION,
    "project": ConsentAccess.Record.PROJECT,
    "programme": ConsentAccess.Record.PROGRAMME,
    "event": ConsentAccess.Record.EVENT,
}


def log_page_reads(request, events, **more) -> None:
    """Log what the page shows of other operators' records on the strength of a consent."""
    reads = {kind: [] for kind in TIMELINE_READS.values()}
    for _date, what, item in events:
        if what in TIMELINE_READS:
            reads[TIMELINE_READS[what]].append(item)
    consents.do_log_consent_reads(request.user, reads | more, source=request.path)


LIVE_STATES = {Consent.State.IN_FORCE, Consent.State.ACCEPTED, Consent.State.AWAITING}


def consent_actions(user, subject, events) -> dict[str, set[int]]:
    """The consents on the page that ``user`` may accept for its operator's records, and
    those it may correct (its operator recorded them)."""
    shown = [item for _date, what, item in events if what == "consent"]
    if not shown:
        return {"acceptable": set(), "correctable": set()}
    own = set(services.operators_of(user).values_list("pk", flat=True))
    return {
        "acceptable": consents.acceptable_by(user, subject, shown),
        "correctable": {c.pk for c in shown if c.operator_id in own and c.state in LIVE_STATES},
    }


def subject_context(request, subject, kind: str, session_form=None) -> dict:
    editable_sessions = services.sessions_editable_by(request.user).filter(
        **services.subject_fields(subject)
    )
    events = timeline(request.user, subject)
    return {
        "subject": subject,
        "kind": kind,
        "timeline": events,
        **consent_actions(request.user, subject, events),
        "editable_sessions": set(editable_sessions.values_list("pk", flat=True)),
        "session_form": session_form
        or forms.SessionForm(
            user=request.user, last_themes=services.last_themes(request.user, subject)
        ),
        "can_change": has_municipality_perm(request.user, "change_records", subject.municipality),
        "can_audit": has_municipality_perm(request.user, AUDIT, subject.municipality),
    }


@login_required
def company_detail(request, pk: int):
    company = access_subject(request.user, "company", pk, "view_records")
    context = subject_context(request, company, "company")
    context["contacts"] = list(company.contacts.visible_to(request.user))
    context["can_erase"] = has_municipality_perm(request.user, ERASE, company.municipality)
    context["join_form"] = forms.JoinNetworkForm(user=request.user)
    log_page_reads(request, context["timeline"], contact=context["contacts"])
    return render(request, "crm/subject_detail.html", context)


# --- Founders ------------------------------------------------------------------------------


@login_required
def founder_list(request):
    require_any(request.user, "view_records")
    founders = Founder.objects.visible_to(request.user).select_related("municipality", "company")
    founders, choices = by_municipality(request, founders)
    return render(
        request,
        "crm/founder_list.html",
        {"page": paginate(request, founders.order_by("name", "pk")), **choices},
    )


@login_required
@sensitive_post_parameters("cpr_number")
def founder_create(request):
    require_any(request.user, "change_records")
    form = forms.FounderForm(request.POST or None, user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            founder = services.do_create_founder(
                request.user, cpr_number=data.pop("cpr_number"), **data
            )
        except DuplicateRecord as error:
            form.add_error("cpr_number", duplicate_message(request.user, error))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Iværksætteren er oprettet."))
            return redirect("founder-detail", founder.pk)
    return render(
        request, "crm/record_form.html", {"form": form, "title": _("Opret iværksætter før start")}
    )


@login_required
def founder_edit(request, pk: int):
    founder = access_subject(request.user, "founder", pk, "change_records")
    try:
        services.check_sees_details(request.user, founder)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    form = forms.FounderForm(request.POST or None, instance=copy(founder), user=request.user)
    if form.is_valid():
        try:
            services.do_update_founder(request.user, founder, **form.cleaned_data)
        except DomainError as error:
            refused(form, error)
        else:
            messages.success(request, _("Ændringerne er gemt."))
            return redirect("founder-detail", pk)
    return render(
        request,
        "crm/record_form.html",
        {"form": form, "title": _("Ret %(name)s") % {"name": founder.name}},
    )


@login_required
def founder_detail(request, pk: int):
    founder = access_subject(request.user, "founder", pk, "view_records")
    context = subject_context(request, founder, "founder")
    context["details_shared"] = queries.details_shared_with(request.user, founder)
    details = [founder] if context["details_shared"] else []
    log_page_reads(request, context["timeline"], founder=details)
    context["link_form"] = forms.LinkCompanyForm(user=request.user)
    context["can_reveal"] = not founder.anonymised_at and has_municipality_perm(
        request.user, "reveal_cpr", founder.municipality
    )
    context["can_erase"] = has_municipality_perm(request.user, ERASE, founder.municipality)
    return render(request, "crm/subject_detail.html", context)


@never_cache
@login_required
@require_POST
def founder_reveal_cpr(request, pk: int):
    """A deliberate, logged reveal of the full number, answered as an htmx fragment."""
    founder = access_subject(request.user, "founder", pk, "reveal_cpr")
    try:
        number = services.do_reveal_cpr(request.user, founder)
    except DomainError as error:  # anonymised: nothing left to reveal
        raise PermissionDenied(str(error)) from error
    return render(request, "crm/partials/cpr_revealed.html", {"cpr": f"{number[:6]}-{number[6:]}"})


@login_required
@require_POST
def founder_link_company(request, pk: int):
    founder = access_subject(request.user, "founder", pk, "change_records")
    form = forms.LinkCompanyForm(request.POST, user=request.user)
    if form.is_valid():
        services.do_link_founder_company(
            request.user,
            founder,
            form.cleaned_data["cvr"],
            started_on=form.cleaned_data["started_on"],
        )
        messages.success(request, _("Iværksætteren er knyttet til virksomheden."))
    else:
        messages.error(request, " ".join(form.errors.get("cvr", form.errors.get("started_on"))))
    return redirect("founder-detail", pk)


# --- Things logged on a company or founder -----------------------------------------------


@login_required
def session_create(request, kind: str, pk: int):
    """Log a visit: the short form on the subject's page, pre-filled for a one-minute log."""
    subject = access_subject(request.user, kind, pk, "change_records")
    form = forms.SessionForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            services.do_log_session(request.user, subject, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Vejledningen er registreret."))
            return redirect(subject_url(subject))
    context = subject_context(request, subject, kind, session_form=form)
    log_page_reads(request, context["timeline"])
    return render(request, "crm/subject_detail.html", context, status=400 if request.POST else 200)


def record_form_view(request, form, subject, save, *, title: str, done: str):
    """The shared shape of the small forms about a subject: ``save`` the valid data (a service
    call) and go back to the subject, or show the form with the service's refusal."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except DomainError as error:
            refused(form, error)
        else:
            messages.success(request, done)
            return redirect(subject_url(subject))
    return render(
        request,
        "crm/record_form.html",
        {"form": form, "title": title % {"name": subject.name}, "subject": subject},
    )


def subject_form_view(request, kind, pk, form_class, service, title, **form_kwargs):
    """A new record about a subject: consent, contact, project, programme."""
    subject = access_subject(request.user, kind, pk, "change_records")
    form = form_class(request.POST or None, **form_kwargs)
    save = lambda data: service(request.user, subject, **data)  # noqa: E731
    return record_form_view(request, form, subject, save, title=title, done=_("Gemt."))


def consent_saved(consent: Consent) -> str:
    """What the consultant learns on saving: whether the consent is in force, and if not,
    what it waits for."""
    if consent.confirmed_at:
        return _("Samtykket er registreret og gælder fra nu.")
    if consent.link_open:
        text = _(
            "Samtykket er registreret, men gælder ikke endnu: %(operator)s har ikke vejledt "
            "%(name)s. Et engangslink er sendt til den registrerede e-mailadresse; samtykket "
            "åbner for andre operatørers oplysninger, når det er bekræftet, eller når en "
            "operatør, der vejleder, accepterer det."
        )
    else:
        text = _(
            "Samtykket er registreret, men gælder ikke endnu: %(operator)s har ikke vejledt "
            "%(name)s, og der er ingen e-mailadresse, som I ikke selv har registreret, at "
            "sende et link til. Samtykket åbner for andre operatørers oplysninger, når en "
            "operatør, der vejleder, accepterer det."
        )
    return text % {"operator": consent.operator, "name": consent.subject.name}


def consent_form_view(request, form, subject, title: str, **extra):
    """Record a consent (or a correction, ``extra``) and say whether it is in force."""
    if form.is_valid():
        try:
            consent = consents.do_record_consent(
                request.user, subject, **form.cleaned_data, **extra
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            (messages.success if consent.confirmed_at else messages.warning)(
                request, consent_saved(consent)
            )
            return redirect(subject_url(subject))
    context = {
        "form": form,
        "title": title % {"name": subject.name},
        "subject": subject,
        "multipart": True,
    }
    return render(request, "crm/record_form.html", context, status=400 if form.is_bound else 200)


@login_required
def consent_create(request, kind: str, pk: int):
    subject = access_subject(request.user, kind, pk, "change_records")
    form = forms.ConsentForm(
        request.POST or None, request.FILES or None, user=request.user, subject=subject
    )
    return consent_form_view(request, form, subject, _("Samtykke fra %(name)s"))


@login_required
def consent_correct(request, pk: int):
    """A correction is a new consent that replaces this one, with the reason."""
    consent = access_scoped(request.user, Consent.objects.all(), "change_records", pk=pk)
    try:
        consents.check_can_correct(request.user, consent, consent.subject)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(subject_url(consent.subject))
    form = forms.ConsentCorrectionForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        subject=consent.subject,
        corrects=consent,
    )
    title = _("Ret samtykke fra %(name)s")
    return consent_form_view(request, form, consent.subject, title, corrects=consent)


@login_required
@require_POST
def consent_accept(request, pk: int):
    """An operator holding records of the subject accepts a consent it did not record."""
    consent = access_scoped(request.user, Consent.objects.all(), "change_records", pk=pk)
    try:
        consents.do_accept_consent(request.user, consent)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Samtykket er accepteret for jeres oplysninger."))
    return redirect(subject_url(consent.subject))


@login_required
def consent_document(request, pk: int):
    """The uploaded signed form: for the recording operator and the operators holding
    records of the subject."""
    consent = access_scoped(request.user, Consent.objects.all(), "view_records", pk=pk)
    check_sees_consent_evidence(request.user, consent)
    if not consent.document:
        raise Http404
    name = consent.document.name.rsplit("/", 1)[-1]
    return FileResponse(consent.document.open("rb"), as_attachment=True, filename=name)


@never_cache
def consent_confirm(request, token: str):
    """The subject's one-time link (no login): GET shows what is asked, POST answers it.
    A scanner that follows the link changes nothing. A used or expired link answers 410, a
    link that was never made 404."""
    try:
        consent = consents.consent_for_link(token)
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer not in ("confirm", "decline"):
                return render(request, "crm/consent_confirm.html", {"consent": consent}, status=400)
            do = consents.do_confirm_consent if answer == "confirm" else consents.do_decline_consent
            consent = do(token, user=request.user)
            return render(request, "crm/consent_confirm.html", {"consent": consent, "done": answer})
    except consents.LinkRefused as error:
        context = {"error": str(error)}
        return render(request, "crm/consent_confirm.html", context, status=error.status)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    return render(request, "crm/consent_confirm.html", {"consent": consent})


@login_required
def contact_create(request, pk: int):
    return subject_form_view(
        request,
        "company",
        pk,
        forms.ContactForm,
        services.do_add_contact,
        _("Ny kontaktperson hos %(name)s"),
    )


@login_required
def project_create(request, pk: int):
    return subject_form_view(
        request,
        "company",
        pk,
        forms.ProjectForm,
        services.do_add_project,
        _("Nyt udviklingsprojekt for %(name)s"),
    )


def record_edit_view(request, record, subject, form_class, service, title, **form_kwargs):
    """A correction of what is logged on a subject: session, contact, project. The form works
    on a copy, so a refused change leaves ``record`` as it was."""
    form = form_class(request.POST or None, instance=copy(record), **form_kwargs)
    save = lambda data: service(request.user, record, **data)  # noqa: E731
    done = _("Ændringerne er gemt.")
    return record_form_view(request, form, subject, save, title=title, done=done)


@login_required
def session_edit(request, pk: int):
    session = access_scoped(request.user, GuidanceSession.objects.all(), "change_records", pk=pk)
    try:
        services.check_can_edit_session(request.user, session)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    return record_edit_view(
        request,
        session,
        session.subject,
        forms.SessionForm,
        services.do_update_session,
        _("Ret vejledning af %(name)s"),
        user=request.user,
    )


@login_required
def contact_edit(request, pk: int):
    contact = access_scoped(request.user, ContactPerson.objects.all(), "change_records", pk=pk)
    return record_edit_view(
        request,
        contact,
        contact.company,
        forms.ContactForm,
        services.do_update_contact,
        _("Ret kontaktperson hos %(name)s"),
    )


@login_required
def project_edit(request, pk: int):
    project = access_scoped(request.user, DevelopmentProject.objects.all(), "change_records", pk=pk)
    return record_edit_view(
        request,
        project,
        project.company,
        forms.ProjectForm,
        services.do_update_project,
        _("Ret udviklingsprojekt for %(name)s"),
    )


@login_required
def programme_create(request, kind: str, pk: int):
    return subject_form_view(
        request,
        kind,
        pk,
        forms.ProgrammeForm,
        services.do_enrol_programme,
        _("Vækstforløb for %(name)s"),
    )


@login_required
@require_POST
def consent_withdraw(request, pk: int):
    consent = access_scoped(request.user, Consent.objects.all(), "change_records", pk=pk)
    try:
        consents.do_withdraw_consent(request.user, consent, on=timezone.localdate())
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Samtykket er tilbagekaldt og åbner ikke længere for noget."))
    return redirect(subject_url(consent.subject))


@login_required
@require_POST
def network_join(request, pk: int):
    company = access_subject(request.user, "company", pk, "change_records")
    form = forms.JoinNetworkForm(request.POST, user=request.user)
    if form.is_valid():
        services.do_join_network(request.user, form.cleaned_data["network"], company)
        messages.success(request, _("Virksomheden er med i netværket."))
    return redirect("company-detail", pk)


# --- Sessions, follow-ups, networks --------------------------------------------------------


@login_required
def session_list(request):
    require_any(request.user, "view_records")
    filters = forms.SessionFilterForm(request.GET or None, user=request.user)
    sessions = filters.apply(queries.sessions_visible_to(request.user))
    page = paginate(request, sessions.prefetch_related("consultants").order_by("-date", "-pk"))
    reads = {ConsentAccess.Record.SESSION: page.object_list}
    consents.do_log_consent_reads(request.user, reads, source=request.path)
    return render(request, "crm/session_list.html", {"page": page, "filters": filters})


@login_required
def follow_ups(request):
    require_any(request.user, "view_records")
    sessions = queries.follow_ups_due(request.user, timezone.localdate())
    return render(request, "crm/follow_ups.html", {"page": paginate(request, sessions)})


@login_required
def network_list(request):
    require_any(request.user, "view_records")
    networks, choices = by_municipality(
        request, Network.objects.visible_to(request.user).select_related("municipality")
    )
    form = forms.NetworkForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_create_network(request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Netværket er oprettet."))
            return redirect("network-list")
    page = paginate(request, networks.order_by("name", "pk"))
    return render(request, "crm/network_list.html", {"page": page, "form": form, **choices})
