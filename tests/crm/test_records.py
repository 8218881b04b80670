"""The consultant's pages, walked as the four kinds of user, and their rules."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import consents, services
from crm.models import Company, Consent, GuidanceSession
from crm.pagination import PAGE_SIZE
from tests.conftest import CVRS, assert_four_users, record_consent
from tests.counting import assert_queries_do_not_grow, page_rows

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def log_session(world, subject, **fields):
    defaults = {
        "operator": world.local,
        "date": TODAY,
        "tier": "local",
        "channel": "visit",
        "themes": ["export"],
        "content": "Drøftede eksport til Tyskland",
    }
    return services.do_log_session(world.consultant, subject, **{**defaults, **fields})


UNSCOPED = [
    "search",
    "company-list",
    "company-create",
    "founder-list",
    "founder-create",
    "session-list",
    "follow-ups",
    "network-list",
]


@pytest.mark.parametrize("name", UNSCOPED)
def test_record_pages_without_municipality_for_the_four_users(world, name):
    url = reverse(name)
    assert world.client_for(world.consultant).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 200
    assert world.client_for(world.viewer).get(url).status_code == 403
    assert Client().get(url)["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "name",
    [
        "company-detail",
        "company-edit",
        "contact-create",
        "project-create",
        "company-session-create",
        "company-consent-create",
        "company-programme-create",
    ],
)
def test_company_pages_for_the_four_users(world, company, name):
    assert_four_users(world, reverse(name, args=[company.pk]), allowed=world.consultant)


@pytest.mark.parametrize(
    "name",
    [
        "founder-detail",
        "founder-edit",
        "founder-session-create",
        "founder-consent-create",
        "founder-programme-create",
    ],
)
def test_founder_pages_for_the_four_users(world, founder, name):
    assert_four_users(world, reverse(name, args=[founder.pk]), allowed=world.consultant)


def test_edit_pages_for_the_four_users(world, company):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed")
    project = services.do_add_project(
        world.consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
    )
    session = log_session(world, company)

    for name, record in [
        ("session-edit", session),
        ("contact-edit", contact),
        ("project-edit", project),
    ]:
        assert_four_users(world, reverse(name, args=[record.pk]), allowed=world.consultant)


def test_cpr_reveal_for_the_four_users_is_logged(world, founder):
    url = reverse("founder-reveal-cpr", args=[founder.pk])
    # The manager may reveal; a consultant of the same municipality may not (403).
    assert_four_users(world, url, allowed=world.manager, no_right=world.consultant, method="post")

    response = world.client_for(world.manager).post(url)

    assert "010190-2345" in response.text
    assert response["Cache-Control"].startswith("max-age=0")
    assert founder.reveals.filter(user=world.manager).count() == 2
    assert not founder.reveals.exclude(user=world.manager).exists()


def test_post_actions_for_the_four_users(world, company, founder):
    network = services.do_create_network(
        world.consultant, name="Erfa Viborg", kind="erfa", municipality=world.home, started_on=TODAY
    )
    consent = record_consent(world.consultant, company, given_on=TODAY, scope="all")
    assert_four_users(
        world,
        reverse("network-join", args=[company.pk]),
        method="post",
        allowed=world.consultant,
        data={"network": network.pk},
        ok=302,
    )
    assert network.members.filter(pk=company.pk).exists()
    assert_four_users(
        world,
        reverse("founder-link-company", args=[founder.pk]),
        method="post",
        allowed=world.consultant,
        ok=302,
        data={"cvr": company.cvr, "started_on": TODAY.isoformat()},
    )
    founder.refresh_from_db()
    assert founder.company == company
    assert_four_users(
        world,
        reverse("consent-withdraw", args=[consent.pk]),
        method="post",
        allowed=world.consultant,
        ok=302,
    )
    consent.refresh_from_db()
    assert consent.withdrawn_on == TODAY


# --- Companies -----------------------------------------------------------------------------


def company_form(world, **fields):
    return {
        "cvr": CVRS[1],
        "name": "Vestergaard Tømrer ApS",
        "municipality": world.home.pk,
        **fields,
    }


def test_create_company_in_the_browser_form(world):
    response = world.client_for(world.consultant).post(
        reverse("company-create"), company_form(world)
    )

    company = Company.objects.get(cvr=CVRS[1])
    assert response["Location"] == reverse("company-detail", args=[company.pk])


def test_invalid_cvr_is_refused_with_a_clear_message_and_nothing_saved(world):
    response = world.client_for(world.consultant).post(
        reverse("company-create"), company_form(world, cvr="12345678")
    )

    assert response.status_code == 200
    assert "kontrolcifferet passer ikke" in response.text
    assert not Company.objects.exists()


def test_duplicate_cvr_links_to_the_existing_company_when_visible(world, company):
    response = world.client_for(world.consultant).post(
        reverse("company-create"), company_form(world, cvr=company.cvr)
    )

    assert "allerede registreret" in response.text
    assert f'href="{reverse("company-detail", args=[company.pk])}"' in response.text
    assert Company.objects.count() == 1


def test_duplicate_cvr_from_another_municipality_does_not_reveal_the_company(world, company):
    response = world.client_for(world.outsider).post(
        reverse("company-create"), company_form(world, cvr=company.cvr, municipality=world.other.pk)
    )

    assert "allerede registreret" in response.text
    assert company.name not in response.text
    assert Company.objects.count() == 1


def test_a_foreign_municipality_is_refused_and_nothing_saved(world):
    response = world.client_for(world.consultant).post(
        reverse("company-create"), company_form(world, municipality=world.other.pk)
    )

    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not Company.objects.exists()


def test_growth_potential_records_who_and_when(world, company):
    services.do_update_company(world.triage, company, growth_potential="A")

    company.refresh_from_db()
    assert company.growth_potential_set_by == world.triage
    assert company.growth_potential_set_at is not None


def test_stage_and_micro_are_derived(world, company):
    company.started_on = TODAY - datetime.timedelta(days=365 * 2)
    company.employees = 7
    assert company.is_new and company.is_micro
    company.started_on = TODAY - datetime.timedelta(days=365 * 3 + 1)
    company.employees = 11
    assert not company.is_new and not company.is_micro


# --- Sessions ------------------------------------------------------------------------------


def test_log_a_visit_with_the_prefilled_defaults(world, company):
    client = world.client_for(world.consultant)
    form = client.get(reverse("company-detail", args=[company.pk])).context["session_form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, [])}
    data["themes"] = ["green"]
    data["content"] = "Grøn omstilling"  # a full session needs its content (issue 14)

    response = client.post(reverse("company-session-create", args=[company.pk]), data)

    assert response.status_code == 302
    session = GuidanceSession.objects.get()
    assert (session.date, session.operator, session.municipality) == (
        TODAY,
        world.local,
        world.home,
    )
    assert (session.hours_before, session.hours_during, session.hours_after) == (2, 4, 2)
    assert list(session.consultants.all()) == [world.consultant]
    # The next form starts from the themes of the last visit.
    form = client.get(reverse("company-detail", args=[company.pk])).context["session_form"]
    assert form.initial["themes"] == ["green"]


def test_a_session_for_a_foreign_operator_is_refused(world, company):
    response = world.client_for(world.consultant).post(
        reverse("company-session-create", args=[company.pk]),
        {
            "date": TODAY.isoformat(),
            "operator": world.other_local.pk,
            "tier": "local",
            "channel": "visit",
            "kind": "full",
            "hours_before": 2,
            "hours_during": 4,
            "hours_after": 2,
        },
    )

    assert response.status_code == 400
    assert not GuidanceSession.objects.exists()


def form_data(response) -> dict:
    """What the page's form would post back unchanged."""
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: v for k, v in data.items() if v not in (None, [])}


def test_correct_a_session_in_the_browser(world, company):
    session = log_session(world, company)
    client = world.client_for(world.consultant)
    url = reverse("session-edit", args=[session.pk])
    data = form_data(client.get(url)) | {
        "content": "Drøftede eksport til Norge",
        "consultants": [world.consultant.pk, world.manager.pk],
        "operator": world.hub.pk,  # disabled: the operator stays
    }

    response = client.post(url, data)

    assert response["Location"] == reverse("company-detail", args=[company.pk])
    session.refresh_from_db()
    assert session.content == "Drøftede eksport til Norge"
    assert set(session.consultants.all()) == {world.consultant, world.manager}
    assert (session.operator, session.municipality, session.company) == (
        world.local,
        world.home,
        company,
    )


def test_a_refused_session_correction_shows_why_and_changes_nothing(world, company):
    session = log_session(world, company)
    client = world.client_for(world.consultant)
    url = reverse("session-edit", args=[session.pk])
    data = form_data(client.get(url)) | {"hours_during": "-1", "content": "Ændret"}

    response = client.post(url, data)

    assert response.status_code == 200
    assert "hours_during" in response.context["form"].errors
    session.refresh_from_db()
    assert session.content == "Drøftede eksport til Tyskland"


def test_the_edit_link_is_shown_only_to_the_operator_that_logged_the_session(world, company):
    session = log_session(world, company)
    record_consent(
        world.consultant, company, given_on=TODAY, scope=Consent.Scope.NAMED, operators=[world.hub]
    )
    link = f'href="{reverse("session-edit", args=[session.pk])}"'
    page = reverse("company-detail", args=[company.pk])

    assert link in world.client_for(world.consultant).get(page).text
    assert link in world.client_for(world.manager).get(page).text
    # The hub sees the session through the consent, but may not correct it.
    hub = world.client_for(world.triage)
    assert "Drøftede eksport" in hub.get(page).text
    assert link not in hub.get(page).text
    assert hub.get(reverse("session-edit", args=[session.pk])).status_code == 403


def test_a_founders_session_is_corrected_from_the_founders_page(world, founder):
    session = log_session(world, founder)
    client = world.client_for(world.consultant)
    page = client.get(reverse("founder-detail", args=[founder.pk]))
    assert f'href="{reverse("session-edit", args=[session.pk])}"' in page.text
    url = reverse("session-edit", args=[session.pk])

    response = client.post(url, form_data(client.get(url)) | {"channel": "phone"})

    assert response["Location"] == reverse("founder-detail", args=[founder.pk])
    session.refresh_from_db()
    assert session.channel == "phone"


def test_move_a_project_on_in_the_browser(world, company):
    project = services.do_add_project(
        world.consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
    )
    client = world.client_for(world.consultant)
    page = reverse("company-detail", args=[company.pk])
    assert f'href="{reverse("project-edit", args=[project.pk])}"' in client.get(page).text
    url = reverse("project-edit", args=[project.pk])

    response = client.post(
        url, form_data(client.get(url)) | {"status": "granted", "amount_granted": "250000"}
    )

    assert response["Location"] == page
    project.refresh_from_db()
    assert (project.status, project.amount_granted) == ("granted", 250000)
    assert (project.company, project.municipality) == (company, world.home)


def test_correct_a_contact_person_in_the_browser(world, company):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed")
    client = world.client_for(world.consultant)
    page = reverse("company-detail", args=[company.pk])
    assert f'href="{reverse("contact-edit", args=[contact.pk])}"' in client.get(page).text
    url = reverse("contact-edit", args=[contact.pk])

    response = client.post(url, {"name": "Bo Smed", "email": "ikke-en-adresse"})
    assert "email" in response.context["form"].errors
    response = client.post(url, {"name": "Bo Smed", "role": "Ejer", "email": "bo@smed.dk"})

    assert response["Location"] == page
    contact.refresh_from_db()
    assert (contact.role, contact.email, contact.company) == ("Ejer", "bo@smed.dk", company)


def test_session_keeps_the_municipality_of_its_day(world, company):
    session = log_session(world, company)
    company.municipality = world.other
    company.save()

    session.refresh_from_db()
    assert session.municipality == world.home


def test_follow_ups_list_the_users_due_sessions(world, company):
    log_session(world, company, follow_up_on=TODAY)
    log_session(world, company, follow_up_on=TODAY + datetime.timedelta(days=3))

    response = world.client_for(world.consultant).get(reverse("follow-ups"))

    assert [s.follow_up_on for s in response.context["page"]] == [TODAY]


def test_session_list_filters(world, company):
    log_session(world, company, themes=["export"], tier="local")
    log_session(
        world, company, themes=["green"], tier="local", date=TODAY - datetime.timedelta(days=40)
    )
    client = world.client_for(world.consultant)

    def count(**params):
        return len(client.get(reverse("session-list"), params).context["page"].object_list)

    assert count() == 2
    assert count(theme="green") == 1
    assert count(date_from=(TODAY - datetime.timedelta(days=7)).isoformat()) == 1
    assert count(municipality=world.home.pk, tier="specialised") == 0
    assert count(consultant=world.consultant.pk) == 2


def test_founder_list_filters_by_municipality(world, founder):
    client = world.client_for(world.triage)

    def listed(code):
        return list(client.get(reverse("founder-list"), {"municipality": code}).context["page"])

    assert listed(world.home.code) == [founder]
    assert listed(world.other.code) == []


def test_a_filtered_list_keeps_its_filter_from_page_to_page(world):
    Company.objects.bulk_create(
        Company(cvr=f"{20000000 + i}", name=f"Firma {i}", municipality=world.home)
        for i in range(PAGE_SIZE + 1)
    )
    client = world.client_for(world.consultant)

    response = client.get(reverse("company-list"), {"municipality": world.home.code})

    following = response.context["page"].next_cursor
    assert f'href="?municipality={world.home.code}&amp;after={following}"' in response.text
    second = client.get(
        reverse("company-list"), {"municipality": world.home.code, "after": following}
    )
    assert len(second.context["page"]) == 1


# --- Consent -------------------------------------------------------------------------------


def test_without_consent_another_operator_sees_registry_facts_only(world, company):
    log_session(world, company, content="Fortroligt: likviditetsproblemer")
    client = world.client_for(world.triage)

    response = client.get(reverse("company-detail", args=[company.pk]))

    assert company.name in response.text and company.cvr in response.text
    assert "likviditetsproblemer" not in response.text


def test_with_consent_another_operator_sees_the_history_until_withdrawn(world, company):
    log_session(world, company, content="Fortroligt: likviditetsproblemer")
    client = world.client_for(world.triage)
    consent = record_consent(
        world.consultant, company, given_on=TODAY, scope=Consent.Scope.NAMED, operators=[world.hub]
    )

    assert "likviditetsproblemer" in client.get(reverse("company-detail", args=[company.pk])).text

    consents.do_withdraw_consent(world.consultant, consent, on=TODAY)
    assert (
        "likviditetsproblemer" not in client.get(reverse("company-detail", args=[company.pk])).text
    )


def test_consent_named_to_another_operator_does_not_open_for_the_hub(world, company):
    log_session(world, company, content="Fortroligt")
    record_consent(
        world.consultant,
        company,
        given_on=TODAY,
        scope=Consent.Scope.NAMED,
        operators=[world.other_local],
    )

    assert not GuidanceSession.objects.visible_to(world.triage).exists()


# --- Search --------------------------------------------------------------------------------


def search(world, user, text):
    return world.client_for(user).post(reverse("search"), {"q": text}, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize(
    "text", ["oestergaard", "Østergård", "ostergaard smedie", "35954716", "smedje"]
)
def test_search_finds_companies_despite_typos_and_danish_letters(world, company, text):
    response = search(world, world.consultant, text)

    assert list(response.context["companies"]) == [company]


def test_search_finds_every_word_in_any_order_corrects_typos_and_skips_unknown_words(
    world, company
):
    assert search(world, world.consultant, "smedei oestergard").context["companies"] == [company]
    assert search(world, world.consultant, "smedie vestas").context["companies"] == [company]
    assert search(world, world.consultant, "vestas").context["companies"] == []


def test_search_learns_the_words_of_a_renamed_company(world, company):
    services.do_update_company(world.consultant, company, name="Kildegaard Maskinfabrik ApS")

    assert search(world, world.consultant, "maskinfabrk").context["companies"] == [company]
    assert search(world, world.consultant, "smedie").context["companies"] == []


def test_search_of_short_words_only_must_match_the_whole_name(world):
    short = Company.objects.create(cvr=CVRS[1], name="ÅB", municipality=world.home)
    Company.objects.create(cvr=CVRS[2], name="Åbenrå Cykler", municipality=world.home)

    assert search(world, world.consultant, "åb").context["companies"] == [short]
    assert search(world, world.consultant, "ab").context["companies"] == []


def test_search_never_shows_another_municipalitys_records(world, company):
    assert list(search(world, world.outsider, "oestergaard").context["companies"]) == []


def test_search_finds_a_founder_by_exact_cpr_and_never_echoes_it(world, founder):
    response = search(world, world.consultant, "010190-2345")

    assert list(response.context["founders"]) == [founder]
    assert "2345" not in response.text
    assert "010190-xxxx" in response.text


def test_as_you_type_search_answers_with_the_fragment_only(world, company):
    response = search(world, world.consultant, "oester")

    assert "<html" not in response.text
    assert company.name in response.text


# --- Query counts --------------------------------------------------------------------------


def many_subjects(world, count):
    """``count`` more companies of Viborg, each with a session due for follow-up and a
    founder who started it."""
    start = Company.objects.count()
    for i in range(start, start + count):
        company = Company.objects.create(
            cvr=f"{10000000 + i}", name=f"Firma {i}", municipality=world.home
        )
        log_session(world, company, follow_up_on=TODAY)
        services.do_create_founder(
            world.consultant,
            cpr_number=f"020285{1000 + i}",
            name=f"Iværksætter {i}",
            municipality=world.home,
            company=company,
        )


LISTED = {
    "company-list": page_rows("page"),
    "founder-list": page_rows("page"),
    "session-list": page_rows("page"),
    "follow-ups": page_rows("page"),
    "home": page_rows("follow_ups"),  # the consultant's first ten follow-ups
}


@pytest.mark.parametrize("name", LISTED)
def test_list_pages_do_not_query_per_row(world, name):
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse(name),
        lambda count: many_subjects(world, count),
        LISTED[name],
        n=3,
    )


def test_consultants_of_another_operator_are_refused(world, company):
    with pytest.raises(services.DomainError, match="ansat hos"):
        log_session(world, company, consultants=[world.outsider])
    assert not GuidanceSession.objects.exists()
