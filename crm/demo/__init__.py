"""Demo data for Region Midtjylland (make run): operators, one user per role, and a year of
records in the region's 19 municipalities - companies, contact persons, founders, guidance
sessions, consent, networks, development projects, growth programmes and events.

The records are drawn from one seed, so every run builds the same demo, and they are created
once: a second run finds the first demo CVR numbers and only resets the demo passwords. Rows are
bulk-inserted (the pghistory triggers still record each insert) but built exactly as the services
build them: CVR and CPR numbers are valid, CPR numbers are encrypted and hashed by ``crm.cpr``.
"""

import secrets
from dataclasses import dataclass, field

import pghistory
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.demo.events import seed_events
from crm.demo.identifiers import demo_cvrs
from crm.demo.operators import HUB_NAME, REGION_CODE, local_service_name, seed_operators
from crm.demo.plan import DemoSizes, build_plan, bulk, spread
from crm.demo.programmes import build_enrolments, build_projects, seed_networks
from crm.demo.sessions import seed_consents, seed_sessions
from crm.demo.subjects import build_company, build_contacts, build_founders
from crm.demo.years import build_years
from crm.models import (
    Company,
    CompanyYear,
    ContactPerson,
    DevelopmentProject,
    Founder,
    Membership,
    ProgrammeEnrolment,
)
from crm.security import (
    DEVICE_NAME,
    do_new_recovery_codes,
    do_remove_two_factor,
    must_use_two_factor,
    totp_secret,
)
from crm.services import do_add_membership

__all__ = [
    "HUB_NAME",
    "REGION_CODE",
    "DemoLogin",
    "DemoResult",
    "DemoSizes",
    "local_service_name",
    "seed_demo",
]


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    operator: str
    # For the roles that need a second factor: the authenticator app's key and recovery codes.
    totp_secret: str = ""
    recovery_codes: list[str] = field(default_factory=list)


@dataclass
class DemoResult:
    logins: list[DemoLogin]
    created: dict[str, int] = field(default_factory=dict)  # empty when the records existed


DEMO_USERS = [
    # username, first name, operator key, role
    ("konsulent", "Karen Konsulent", "local", Membership.Role.CONSULTANT),
    ("leder", "Lars Leder", "local", Membership.Role.MANAGER),
    ("visitator", "Vibeke Visitator", "hub", Membership.Role.TRIAGE),
    ("hubkonsulent", "Henrik Hubkonsulent", "hub", Membership.Role.CONSULTANT),
    ("kkr", "Kirsten KKR", "oversight", Membership.Role.VIEWER),
]


@transaction.atomic
def seed_demo(sizes: DemoSizes | None = None) -> DemoResult:
    """Create (or reset) the demo operators and users - every run issues new passwords and,
    for the roles that need them, authenticator keys and recovery codes - and,
    unless they exist already, the demo records."""
    operators = seed_operators()
    logins = []
    for username, full_name, key, role in DEMO_USERS:
        first, last = full_name.split(" ", 1)
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.knudepunkt.dk",
            },
        )
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        do_add_membership(user, operators[key], role)
        login = DemoLogin(username, password, role, operators[key].name)
        if must_use_two_factor(user):
            login.totp_secret, login.recovery_codes = demo_authenticator(user)
        logins.append(login)
    with pghistory.context(source="seed_demo"):
        created = seed_records(sizes or DemoSizes())
    return DemoResult(logins, created)


def demo_authenticator(user) -> tuple[str, list[str]]:
    """A new authenticator app key and recovery codes on every run, like the password: the
    demo prints them, as a real user would scan the key on the first login."""
    do_remove_two_factor(user)
    device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return totp_secret(device).replace(" ", ""), do_new_recovery_codes(user)


@transaction.atomic
def seed_records(sizes: DemoSizes) -> dict[str, int]:
    """The demo records, unless the first demo CVR numbers are registered already. Returns
    how many of each were created (empty when skipped)."""
    cvrs = demo_cvrs(sizes.companies, sizes.seed)
    if Company.objects.filter(cvr__in=cvrs[:20]).exists():
        return {}
    plan = build_plan(sizes)
    companies = bulk(Company, [build_company(plan, cvr, m) for cvr, m in spread(plan, cvrs)])
    contacts = bulk(ContactPerson, build_contacts(plan, companies))
    founders = bulk(Founder, build_founders(plan, sizes.founders, companies))
    sessions = seed_sessions(plan, sizes.sessions, companies, founders)
    consents = seed_consents(plan, sessions)
    networks = seed_networks(plan, companies)
    projects = bulk(DevelopmentProject, build_projects(plan, sizes.projects, companies))
    enrolments = bulk(
        ProgrammeEnrolment, build_enrolments(plan, sizes.enrolments, companies, founders)
    )
    events, participants = seed_events(plan, companies, founders)
    years = bulk(CompanyYear, build_years(plan, companies))
    return {
        "companies": len(companies),
        "contact persons": len(contacts),
        "founders": len(founders),
        "guidance sessions": len(sessions),
        "consents": consents,
        "networks": networks,
        "development projects": len(projects),
        "programme enrolments": len(enrolments),
        "events": events,
        "event participants": participants,
        "company years": len(years),
    }
