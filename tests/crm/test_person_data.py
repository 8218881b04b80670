"""The viewer (an official of the municipality, aggregates only) walks every URL of the project
and meets no person data: no founder's or contact person's name, no CPR number (masked or not),
no contact e-mail, no session note, no company name or CVR number."""

import datetime
import json

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from contracts.models import BudgetLine, Contract, Goal, PaymentRule
from contracts.services import compute_attainment
from crm import events, services
from crm.imports import do_start_import
from crm.models import Notification
from referrals.models import Adviser
from referrals.services import send_referral
from reporting.models import Report
from tests.conftest import record_consent
from tests.crm.test_access import project_url_names

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CONTACT = {"name": "Bo Smed Hansen", "email": "bo.hansen@smedie-post.dk"}
NOTES = ["Fortroligt: likviditetsproblemer", "Fortroligt: iværksætterens helbred"]

# The object a URL's ``pk`` names: the word after "api-" of an endpoint, the first word of a
# page, except for these pages, whose first word is not what their pk names.
PAGE_PK = {
    "network": "company",  # network-join: a company joins
    "goal": "contract",
    "milestone": "contract",
    "evaluation": "contract",
    "budget": "contract",
    "payment": "contract",
    "export": "contract",  # export-goals, export-snapshots
    "survey": "operator",  # survey-overview: the operator's own user survey
}


@pytest.fixture
def records(world, company, founder):
    """One real object of every kind a URL names, full of person data."""
    contact = services.do_add_contact(world.consultant, company, **CONTACT)
    sessions = [
        services.do_log_session(
            world.consultant,
            subject,
            operator=world.local,
            date=TODAY,
            tier="local",
            channel="visit",
            themes=["export"],
            content=note,
        )
        for subject, note in zip([company, founder], NOTES, strict=True)
    ]
    consent = record_consent(
        world.consultant, company, given_on=TODAY, scope="named", operators=[world.hub]
    )
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt Viborg",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    goal = Goal.objects.create(
        contract=contract, number="1", title="Kontakter", indicator="companies_contacted"
    )
    Goal.objects.create(contract=contract, number="9", title="Klyngeaftaler", is_milestone=True)
    compute_attainment(contract, TODAY)
    referral = send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason=f"Ring til {CONTACT['name']}",
    )
    return {
        "company": company,
        "founder": founder,
        "contact": contact,
        "session": sessions[1],
        "consent": consent,
        "network": services.do_create_network(
            world.consultant,
            name="Erfa Viborg",
            kind="erfa",
            municipality=world.home,
            started_on=TODAY,
            members=[company],
        ),
        "project": services.do_add_project(
            world.consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
        ),
        "enrolment": services.do_enrol_programme(
            world.consultant, founder, programme="Vækstspor", growth_level="B", started_on=TODAY
        ),
        "referral": referral,
        "notification": Notification.objects.get(recipient=world.triage),
        "adviser": Adviser.objects.create(name="LAG Viborg", kind="funding", contact="Lise Lund"),
        "contract": contract,
        "goal": goal,
        "snapshot": goal.snapshots.first(),
        "report": Report.objects.create(kind="company", company=company, created_by=world.manager),
        "budget_line": BudgetLine.objects.create(contract=contract, name="Løn", amount=100000),
        "payment_rule": PaymentRule.objects.create(contract=contract, kind="founder", amount=2500),
        "municipality": world.home,
        "operator": world.local,
        **event_records(world, company, founder),
        "import": do_start_import(
            world.manager,
            kind="companies",
            name="virksomheder.csv",
            data=f"CVR-nr;Virksomhedsnavn\n{company.cvr};{company.name}\n".encode(),
        ),
    }


PARTICIPANT = {"name": "Ida Idé Deltager", "email": "ida.deltager@example.dk"}


def event_records(world, company, founder) -> dict:
    """An event with a company, a founder and a person without CVR or CPR (the participant
    whose pages the URLs name)."""
    event = events.do_create_event(
        world.consultant,
        title="Start egen virksomhed",
        kind="course",
        date=TODAY,
        place="Viborg Bibliotek",
        municipality=world.home,
        operator=world.local,
        hours=3,
    )
    for subject in ({"company": company}, {"founder": founder}):
        events.do_register_participant(world.consultant, event, **subject)
    person = events.do_register_participant(
        world.consultant, event, **PARTICIPANT, municipality=world.home
    )
    return {"event": event, "participant": person}


def pk_of(name: str, records: dict) -> int:
    if name.startswith("api-"):
        kind = name.split("-")[1]
    else:
        kind = name.split("-")[0]
        kind = PAGE_PK.get(kind, kind)
    assert kind in records, f"Name the object {name} takes a pk of in PAGE_PK"
    return records[kind].pk


def sample_url(name: str, records: dict) -> str:
    """``name`` reversed with the pk (and other arguments) of a real object."""
    # Each name once without DRF's format suffix: the variant with the fewest arguments.
    arguments = min(
        (params for entry in get_resolver().reverse_dict.getlist(name) for _, params in entry[0]),
        key=len,
    )
    values = {
        "pk": lambda: pk_of(name, records),
        "goal_pk": lambda: records["goal"].pk,
        "line_pk": lambda: records["budget_line"].pk,
        "rule_pk": lambda: records["payment_rule"].pk,
        "code": lambda: records["municipality"].code,
        "kind": lambda: "annual",
        "fmt": lambda: "csv",
        "log": lambda: "cpr",  # an access log (reporting.logs)
        "key": lambda: "0123456789abcde",  # an API token's first characters (crm.tokens)
        "token": lambda: "et-ugyldigt-link",  # the subject's consent link (no login)
    }
    return reverse(name, kwargs={param: values[param]() for param in arguments})


def secrets(records: dict) -> list[str]:
    company, founder = records["company"], records["founder"]
    plain = [
        founder.name,
        "010190",  # the CPR number's date, masked (010190-xxxx) or not
        "0101902345",
        CONTACT["name"],
        CONTACT["email"],
        PARTICIPANT["name"],
        PARTICIPANT["email"],
        *NOTES,
        company.name,
        company.cvr,
    ]
    return plain + [json.dumps(text)[1:-1] for text in plain]  # as JSON may escape them


def body(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode(errors="ignore")


def assert_no_person_data(response, hidden: list[str], name: str) -> None:
    text = body(response)
    leaked = [secret for secret in hidden if secret in text]
    assert not leaked, (name, leaked)


def test_the_viewer_reaches_no_person_data_by_any_url(world, records):
    client = world.client_for(world.viewer)
    hidden = secrets(records)
    for name in dict.fromkeys(project_url_names()):
        url = sample_url(name, records)
        response = client.get(url)

        # Dashboards and the like may answer; the rest refuse, redirect or are POST-only.
        assert response.status_code in (200, 302, 403, 404, 405), (name, response.status_code)
        assert_no_person_data(response, hidden, name)
        if response.status_code == 405 and name != "logout":
            # An action (revealing a CPR number, ordering a report): refused, or done and
            # redirected (the viewer orders the contract's reports), never person data.
            response = client.post(url)
            assert response.status_code in (302, 400, 403, 404), (name, response.status_code)
            assert_no_person_data(response, hidden, name)
