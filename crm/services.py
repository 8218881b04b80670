"""Use cases of the core: tenancy (memberships, the municipalities an operator serves) and
the records (companies, founders, sessions, consent, networks, projects, programmes).

Every tenancy change re-syncs the guardian permissions of the operator's role groups, so it counts
from the affected users' next request.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm

from crm import cpr
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    CprReveal,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Membership,
    Municipality,
    Network,
    Operator,
    OperatorRoleGroup,
    ProgrammeEnrolment,
)
from crm.notifications import Message, do_notify
from crm.permissions import ROLE_PERMISSIONS, has_municipality_perm
from crm.queries import details_shared_with


class DomainError(Exception):
    """A rule of the domain refused the change; the message is for the user."""


class NotAllowed(DomainError):
    """The user's role does not allow the change (pages answer 403)."""


class DuplicateRecord(DomainError):
    """The company or founder is already registered; ``existing`` is that record."""

    def __init__(self, message: str, existing):
        super().__init__(message)
        self.existing = existing


# After the errors: crm.concurrency's refusals are DomainErrors.
from crm import concurrency  # noqa: E402


def role_group(operator: Operator, role: str) -> Group:
    link = OperatorRoleGroup.objects.filter(operator=operator, role=role).first()
    if link:
        return link.group
    group = Group.objects.create(name=f"operator-{operator.pk}-{role}")
    OperatorRoleGroup.objects.create(group=group, operator=operator, role=role)
    return group


@transaction.atomic
def sync_operator_permissions(operator: Operator) -> None:
    """Make each role group of ``operator`` hold exactly its role's rights on the
    operator's municipalities (none when the operator is inactive)."""
    municipalities = list(operator.municipalities.all()) if operator.active else []
    for role, perms in ROLE_PERMISSIONS.items():
        group = role_group(operator, role)
        GroupObjectPermission.objects.filter(group=group).delete()
        for perm in perms:
            if municipalities:
                assign_perm(
                    f"crm.{perm}",
                    group,
                    Municipality.objects.filter(pk__in=[m.pk for m in municipalities]),
                )


@transaction.atomic
def do_set_operator_municipalities(operator: Operator, municipalities) -> None:
    """Replace the municipalities ``operator`` serves. Side effect: permissions re-synced."""
    operator.municipalities.set(municipalities)
    sync_operator_permissions(operator)


@transaction.atomic
def do_grant_municipality(operator: Operator, municipality: Municipality) -> None:
    operator.municipalities.add(municipality)
    sync_operator_permissions(operator)


@transaction.atomic
def do_revoke_municipality(operator: Operator, municipality: Municipality) -> None:
    operator.municipalities.remove(municipality)
    sync_operator_permissions(operator)


@transaction.atomic
def do_add_membership(user, operator: Operator, role: str) -> Membership:
    """Make ``user`` a member of ``operator`` with ``role``. Side effect: group membership."""
    membership, _ = Membership.objects.get_or_create(user=user, operator=operator, role=role)
    group = role_group(operator, role)
    user.groups.add(group)
    if not GroupObjectPermission.objects.filter(group=group).exists():  # a new role group
        sync_operator_permissions(operator)
    return membership


@transaction.atomic
def do_remove_membership(membership: Membership) -> None:
    membership.user.groups.remove(role_group(membership.operator, membership.role))
    membership.delete()


# --- Records -------------------------------------------------------------------------------


def operators_of(user):
    return Operator.objects.of(user)


def acting_operator(user, municipality: Municipality) -> Operator | None:
    """The user's operator that works in ``municipality``: a record registered there is its
    work (contract goals count their parties' records only)."""
    return operators_of(user).filter(municipalities=municipality).order_by("kind", "pk").first()


def check_can_change(user, municipality: Municipality) -> None:
    if not has_municipality_perm(user, "change_records", municipality):
        raise DomainError(
            _("Du må ikke registrere i %(municipality)s.") % {"municipality": municipality}
        )


@transaction.atomic
def do_create_company(user, **fields) -> Company:
    """Register a company. Refuses a CVR number that is already registered, and a segment
    from anyone but hub staff."""
    check_can_change(user, fields["municipality"])
    check_can_set_segment(user, fields["municipality"], fields.get("segment", ""))
    same = Company.objects.filter(cvr=fields["cvr"])
    message = _("CVR-nummeret er allerede registreret.")
    concurrency.check_not_registered(same, message)
    company = Company(**fields)
    company.full_clean(validate_unique=False)  # the CVR: check_not_registered, save_new
    return concurrency.save_new(company, same, message)


@transaction.atomic
def do_update_company(user, company: Company, *, version: str = "", **fields) -> Company:
    """Change a company; records who set the growth potential and when. Only hub staff
    change the segment. The row is read again under a lock and only ``fields`` are written;
    a change based on another ``version`` than the stored one is refused (StaleRecord)."""
    concurrency.lock(company)
    municipality = fields.get("municipality", company.municipality)
    check_can_change(user, municipality)
    if fields.get("cvr", company.cvr) != company.cvr:  # corrected by merging, not editing
        raise DomainError(_("CVR-nummeret kan ikke ændres efter oprettelsen."))
    concurrency.check_version(company, version)
    check_can_set_segment(
        user, municipality, fields.get("segment", company.segment), company.segment
    )
    written = list(fields)
    if fields.get("growth_potential", company.growth_potential) != company.growth_potential:
        company.growth_potential_set_by = user
        company.growth_potential_set_at = timezone.now()
        written += ["growth_potential_set_by", "growth_potential_set_at"]
    for name, value in fields.items():
        setattr(company, name, value)
    company.full_clean()
    company.save(update_fields=written)
    return company


def works_for_hub(user, municipality: Municipality | None = None) -> bool:
    """The user is staff of an active hub (Erhvervshus), serving ``municipality`` if named."""
    hubs = operators_of(user).filter(kind=Operator.Kind.HUB)
    return (hubs.filter(municipalities=municipality) if municipality else hubs).exists()


def check_can_set_segment(
    user, municipality: Municipality, segment: str, current: str = ""
) -> None:
    """The segment (operations or growth, seed 002) is the hubs' own division of their
    companies: only staff of a hub serving the municipality set or change it."""
    if segment != current and not works_for_hub(user, municipality):
        raise NotAllowed(_("Kun erhvervshusets medarbejdere kan sætte virksomhedens segment."))


@transaction.atomic
def do_add_contact(user, company: Company, **fields) -> ContactPerson:
    check_can_change(user, company.municipality)
    contact = ContactPerson(company=company, **fields)
    contact.full_clean()
    contact.save()
    return contact


def check_fixed(record, fields: dict, names) -> None:
    """Refuse a change of the fields that say what ``record`` is about (its company, founder,
    operator or municipality): they stay as they were when it was registered."""
    if any(name in fields and fields[name] != getattr(record, name) for name in names):
        raise DomainError(
            _("%(record)s: virksomhed, iværksætter, operatør og kommune kan ikke ændres.")
            % {"record": capfirst(record._meta.verbose_name)}
        )


@transaction.atomic
def check_not_anonymised(person) -> None:
    """An anonymised person is not filled in again (a new registration is a new record)."""
    if person.anonymised_at:
        raise DomainError(
            _("Personoplysningerne er anonymiseret og kan ikke rettes. Registrér personen igen.")
        )


def do_update_contact(user, contact: ContactPerson, *, version: str = "", **fields):
    """Correct a contact person; the company stays. Under a row lock, as do_update_company."""
    concurrency.lock(contact)
    check_can_change(user, contact.company.municipality)
    check_not_anonymised(contact)
    concurrency.check_version(contact, version)
    check_fixed(contact, fields, ["company"])
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save(update_fields=list(fields))
    return contact


def find_founder_by_cpr(cpr_number: str) -> Founder | None:
    return Founder.objects.filter(cpr_hash=cpr.lookup_hash(cpr.clean_cpr(cpr_number))).first()


@transaction.atomic
def do_create_founder(user, *, cpr_number: str, **fields) -> Founder:
    """Register a founder before start. The CPR number is validated, stored encrypted and
    found again through its keyed hash; birth date and sex are derived from it."""
    check_can_change(user, fields["municipality"])
    number = cpr.clean_cpr(cpr_number)
    same = Founder.objects.filter(cpr_hash=cpr.lookup_hash(number))
    message = _("Iværksætteren med dette CPR-nummer er allerede registreret.")
    concurrency.check_not_registered(same, message)
    founder = Founder(
        cpr_encrypted=cpr.encrypt(number),
        cpr_hash=cpr.lookup_hash(number),
        birth_date=cpr.birth_date(number),
        sex=cpr.sex(number),
        **fields,
    )
    founder.full_clean(validate_unique=False)  # the CPR: check_not_registered, save_new
    return concurrency.save_new(founder, same, message)


@transaction.atomic
def do_update_founder(user, founder: Founder, *, version: str = "", **fields) -> Founder:
    """Change a founder's details: only for users who may see them (``details_shared``).
    Under a row lock, as do_update_company."""
    concurrency.lock(founder)
    check_can_change(user, fields.get("municipality", founder.municipality))
    check_sees_details(user, founder)
    check_not_anonymised(founder)
    concurrency.check_version(founder, version)
    for name, value in fields.items():
        setattr(founder, name, value)
    founder.full_clean()
    founder.save(update_fields=list(fields))
    return founder


def check_sees_details(user, founder: Founder) -> None:
    """A founder's details (address, phone, e-mail, education) are for the operators that work
    with it or have its consent (``crm.queries.details_shared``)."""
    if not details_shared_with(user, founder):
        raise NotAllowed(
            _(
                "Kun operatører, der vejleder iværksætteren, eller som den har givet samtykke, "
                "kan se og rette dens oplysninger."
            )
        )


def do_reveal_cpr(user, founder: Founder) -> str:
    """The full CPR number, for a user with the right; every reveal is logged."""
    if not has_municipality_perm(user, "reveal_cpr", founder.municipality):
        raise DomainError(_("Du må ikke se fulde CPR-numre."))
    if founder.anonymised_at:
        raise DomainError(_("CPR-nummeret er slettet: iværksætteren er anonymiseret."))
    CprReveal.objects.create(user=user, founder=founder)
    return cpr.decrypt(founder.cpr_encrypted)


@transaction.atomic
def do_link_founder_company(user, founder: Founder, company: Company, *, started_on) -> Founder:
    """The founder started ``company``: both histories stay, linked."""
    check_can_change(user, founder.municipality)
    founder.company, founder.company_started_on = company, started_on
    founder.save(update_fields=["company", "company_started_on"])
    return founder


def subject_fields(subject) -> dict:
    return {"company": subject} if isinstance(subject, Company) else {"founder": subject}


@transaction.atomic
def do_log_session(
    user, subject, *, operator: Operator, consultants=(), subject_version: str = "", **fields
):
    """Log a guidance session of a company or founder. The municipality is the subject's,
    kept as it was on the day; the logging user is a consultant unless others are named.
    ``subject_version``: the subject as the user read it (the phone app, offline); changed
    since, the session is refused (``StaleRecord``) and the user sees what changed."""
    check_can_change(user, subject.municipality)
    if subject_version:
        concurrency.check_version(concurrency.lock(subject), subject_version)
    if not operators_of(user).filter(pk=operator.pk).exists():
        raise DomainError(_("Du kan kun registrere vejledninger for din egen operatør."))
    check_consultants(operator, consultants)
    session = GuidanceSession(
        **subject_fields(subject),
        operator=operator,
        municipality=subject.municipality,
        created_by=user,
        **fields,
    )
    session.full_clean()
    session.save()
    session.consultants.set(consultants or [user])
    advise_local_service(session)
    return session


# A session typed in on a page or through the API is from the last two years: older work comes
# in through the migration import (crm.imports), which keeps the dates it reads.
SESSION_MAX_AGE_DAYS = 730
SESSION_MAX_HOURS = 24  # per part (before, during, after): more is a typing mistake
SESSION_HOURS = ("hours_before", "hours_during", "hours_after")
SESSION_RULE_FIELDS = (
    "date",
    "follow_up_on",
    "kind",
    "content",
    "screening_done",
    "screening_result",
    *SESSION_HOURS,
)


def session_rule_errors(
    fields: dict, *, today: datetime.date, stored_date: datetime.date | None = None
) -> dict[str, str]:
    """The rules a guidance session typed in by a person must meet, as {field: message} (empty
    when it passes). The session form and the API serializer both ask here; the services do
    not, so imports keep the values they read. A correction of an old session may keep its
    ``stored_date``. No side effects."""
    errors: dict[str, str] = {}
    date, follow_up_on = fields.get("date"), fields.get("follow_up_on")
    too_old = date and date < today - datetime.timedelta(days=SESSION_MAX_AGE_DAYS)
    if date and date > today:
        errors["date"] = _("Datoen må ikke ligge efter i dag.")
    elif too_old and date != stored_date:
        errors["date"] = _("Datoen ligger mere end to år tilbage. Tjek årstallet.")
    if date and follow_up_on and follow_up_on <= date:
        errors["follow_up_on"] = _("Opfølgningen skal ligge efter vejledningens dato.")
    if fields.get("screening_result") and not fields.get("screening_done"):
        errors["screening_result"] = _(
            "Et screeningsresultat kræver, at Væksthjulet-screeningen er gennemført."
        )
    for name in SESSION_HOURS:
        if (fields.get(name) or 0) > SESSION_MAX_HOURS:
            errors[name] = _("Højst %(hours)s timer pr. del.") % {"hours": SESSION_MAX_HOURS}
    if fields.get("kind") == GuidanceSession.Kind.FULL:
        if not (fields.get("content") or "").strip():
            errors["content"] = _("En vejledning skal have et hovedindhold.")
        if not any(fields.get(name) for name in SESSION_HOURS):
            errors.setdefault("hours_during", _("En vejledning skal have timer registreret."))
    return errors


def check_consultants(operator: Operator, consultants) -> None:
    """The consultants named on a session work for the operator that logged it."""
    strangers = [c for c in consultants if not operators_of(c).filter(pk=operator.pk).exists()]
    if strangers:
        raise DomainError(
            _("Konsulenterne skal være ansat hos %(operator)s.") % {"operator": operator}
        )


def sessions_editable_by(user):
    """The sessions ``user`` may correct: logged by one of the user's operators, in a
    municipality where the user may change records."""
    return GuidanceSession.objects.filter(
        operator__in=operators_of(user),
        municipality__in=Municipality.objects.for_user(user, "change_records"),
    )


def check_can_edit_session(user, session: GuidanceSession) -> None:
    check_can_change(user, session.municipality)
    if not sessions_editable_by(user).filter(pk=session.pk).exists():
        raise NotAllowed(
            _("Kun %(operator)s kan rette denne vejledning.") % {"operator": session.operator}
        )


@transaction.atomic
def do_update_session(
    user, session: GuidanceSession, *, consultants=None, version: str = "", **fields
):
    """Correct a guidance session. Its subject, operator and municipality (the subject's on
    the day) stay; named consultants must work for the operator, none named means the
    editing user. No advis: the local service was told when the session was logged. Under a
    row lock, as do_update_company."""
    concurrency.lock(session)
    check_can_edit_session(user, session)
    concurrency.check_version(session, version)
    check_fixed(session, fields, ["company", "founder", "operator", "municipality"])
    if consultants is not None:
        check_consultants(session.operator, consultants)
    for name, value in fields.items():
        setattr(session, name, value)
    session.full_clean()
    session.save(update_fields=list(fields))
    if consultants is not None:
        session.consultants.set(consultants or [user])
    return session


ADVIS_OPERATOR_KINDS = [Operator.Kind.FOCUSED, Operator.Kind.HUB]


def advise_local_service(session: GuidanceSession) -> None:
    """Advis (seed 001 §5): a focused or specialised operator met a company or founder that
    the municipality's local business service has not been in contact with for 12 months:
    notify that local service. A founder is named only with consent; a company's registry
    facts may always be shown to the local service of its municipality."""
    if session.operator.kind not in ADVIS_OPERATOR_KINDS:
        return
    subject = session.subject
    recent_local_contact = GuidanceSession.objects.filter(
        **subject_fields(subject),
        operator__kind=Operator.Kind.LOCAL,
        date__gte=session.date - datetime.timedelta(days=365),
        date__lte=session.date,
    ).exists()
    if recent_local_contact:
        return
    local_services = Operator.objects.filter(
        kind=Operator.Kind.LOCAL, active=True, municipalities=session.municipality
    )
    for local in local_services:
        named = isinstance(subject, Company) or has_consent(subject, local)
        facts = {
            "operator": session.operator,
            "name": subject.name,
            "municipality": session.municipality,
        }
        title = (
            _("%(operator)s har vejledt %(name)s") % facts
            if named
            else _("%(operator)s har været i kontakt med en iværksætter i %(municipality)s") % facts
        )
        recipients = get_user_model().objects.filter(
            memberships__operator=local,
            memberships__role__in=[Membership.Role.CONSULTANT, Membership.Role.MANAGER],
        )
        body = _("Jeres erhvervsservice har ikke haft kontakt med den de seneste 12 måneder.")
        kind = "company" if isinstance(subject, Company) else "founder"
        url = reverse(f"{kind}-detail", args=[subject.pk]) if named else ""
        do_notify(recipients, Message("advis", f"advis:{session.pk}", title, body, url))


def last_themes(user, subject) -> list[str]:
    """The themes of the user's latest session with this subject (to pre-fill the next)."""
    latest = (
        GuidanceSession.objects.filter(**subject_fields(subject), created_by=user)
        .order_by("-date", "-pk")
        .values_list("themes", flat=True)
        .first()
    )
    return latest or []


# Recording, withdrawing, accepting and confirming consents: crm.consents.


def has_consent(subject, operator: Operator) -> bool:
    """The subject's consent in force covers ``operator`` (for sharing the subject itself: a
    referral, an advis that names a founder)."""
    return (
        Consent.objects.filter(**subject_fields(subject))
        .covering([operator.pk])
        .in_force()
        .exists()
    )


@transaction.atomic
def do_create_network(user, *, municipalities=(), members=(), **fields) -> Network:
    check_can_change(user, fields["municipality"])
    network = Network(operator=acting_operator(user, fields["municipality"]), **fields)
    network.full_clean()
    network.save()
    network.municipalities.set(municipalities)
    network.members.set(members)
    return network


def do_join_network(user, network: Network, company: Company) -> None:
    check_can_change(user, company.municipality)
    network.members.add(company)


@transaction.atomic
def do_add_project(user, company: Company, **fields) -> DevelopmentProject:
    check_can_change(user, company.municipality)
    project = DevelopmentProject(
        company=company,
        municipality=company.municipality,
        operator=acting_operator(user, company.municipality),
        **fields,
    )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def do_update_project(
    user, project: DevelopmentProject, *, version: str = "", **fields
) -> DevelopmentProject:
    """Correct a development project or move it on (status, amount granted); its company and
    municipality stay. Under a row lock, as do_update_company."""
    concurrency.lock(project)
    check_can_change(user, project.municipality)
    concurrency.check_version(project, version)
    check_fixed(project, fields, ["company", "municipality", "operator"])
    for name, value in fields.items():
        setattr(project, name, value)
    project.full_clean()
    project.save(update_fields=list(fields))
    return project


@transaction.atomic
def do_enrol_programme(user, subject, **fields) -> ProgrammeEnrolment:
    check_can_change(user, subject.municipality)
    enrolment = ProgrammeEnrolment(
        **subject_fields(subject),
        municipality=subject.municipality,
        operator=acting_operator(user, subject.municipality),
        **fields,
    )
    enrolment.full_clean()
    enrolment.save()
    return enrolment
