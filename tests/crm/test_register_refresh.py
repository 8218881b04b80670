"""The nightly refresh from the company register: moved, renamed, ceased; idempotent;
resumable after an interruption."""

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Company, RegisterRefresh
from crm.register_sync import HISTORY_SOURCE, do_refresh_from_register
from crm.tasks import refresh_from_register
from tests.conftest import CVRS
from tests.crm.register_server import EXAMPLE_CVR, VirkRegister, use_virk, virk_document

pytestmark = pytest.mark.django_db

FAST = 1000  # requests a second: no pause worth the name in tests


def register_company(world, cvr: str, name: str) -> Company:
    return services.do_create_company(world.consultant, cvr=cvr, name=name, municipality=world.home)


def history(company: Company):
    return apps.get_model("crm", "CompanyEvent").objects.filter(
        pgh_obj_id=company.pk, pgh_label="update"
    )


@pytest.fixture
def moved(world, settings, httpserver):
    """A company in Viborg that the register has renamed, moved to Aarhus and ceased."""
    use_virk(settings, httpserver)
    company = register_company(world, EXAMPLE_CVR, "Gammelt Navn ApS")
    session = services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=timezone.localdate(),
        tier="local",
        channel="phone",
    )
    register = VirkRegister(
        httpserver, virk_document(name="Nyt Navn ApS", municipality_code=751, status="OPHØRT")
    )
    return company, session, register


def test_a_renamed_moved_ceased_company_is_updated_with_the_register_as_source(world, moved):
    company, session, _register = moved

    result = do_refresh_from_register(per_second=FAST)

    company.refresh_from_db()
    assert result == {"checked": 1, "changed": 1, "finished": True}
    assert (company.name, company.municipality, company.status) == (
        "Nyt Navn ApS",
        world.other,
        Company.Status.CEASED,
    )
    event = history(company).get()
    assert event.pgh_context.metadata["source"] == HISTORY_SOURCE
    assert event.name == "Nyt Navn ApS"


def test_a_moved_company_leaves_its_sessions_with_the_operators_that_logged_them(world, moved):
    company, session, _register = moved

    do_refresh_from_register(per_second=FAST)

    session.refresh_from_db()
    assert session.municipality == world.home
    # The company is now Aarhus's to change; Viborg's consultant no longer may.
    url = reverse("company-edit", args=[company.pk])
    assert world.client_for(world.outsider).get(url).status_code == 200
    assert world.client_for(world.consultant).get(url).status_code == 404


def test_a_ceased_company_is_flagged_on_the_list(world, moved):
    do_refresh_from_register(per_second=FAST)

    response = world.client_for(world.outsider).get(reverse("company-list"))

    assert 'class="badge ceased"' in response.text
    assert "Ophørt" in response.text


def test_a_second_run_changes_nothing(world, moved):
    company, _session, _register = moved
    do_refresh_from_register(per_second=FAST)

    result = do_refresh_from_register(per_second=FAST)

    assert result == {"checked": 1, "changed": 0, "finished": True}
    assert history(company).count() == 1


def test_an_interrupted_run_resumes_after_the_last_company_done(world, settings, httpserver):
    use_virk(settings, httpserver)
    first, second, third = (
        register_company(world, cvr, f"Firma {n}") for n, cvr in enumerate(CVRS[1:4])
    )
    register = VirkRegister(
        httpserver,
        *[
            virk_document(cvr=cvr, name=f"Firma {n} A/S", p_number=f"10000000{n}0")
            for n, cvr in enumerate(CVRS[1:4])
        ],
    )
    register.down = {second.cvr}

    stopped = do_refresh_from_register(per_second=FAST)

    assert stopped == {"checked": 1, "changed": 1, "finished": False}
    assert RegisterRefresh.objects.get().after_company_id == first.pk
    register.down = set()
    register.asked.clear()

    resumed = refresh_from_register.delay().get()  # the beat's task

    assert resumed == {"checked": 2, "changed": 2, "finished": True}
    assert register.asked_cvrs() == [second.cvr, third.cvr]
    assert RegisterRefresh.objects.get().after_company_id == 0  # the next run starts over
    assert list(Company.objects.order_by("pk").values_list("name", flat=True)) == [
        "Firma 0 A/S",
        "Firma 1 A/S",
        "Firma 2 A/S",
    ]


def test_a_run_with_a_limit_stops_and_the_next_goes_on(world, settings, httpserver):
    use_virk(settings, httpserver)
    companies = [register_company(world, cvr, f"Firma {n}") for n, cvr in enumerate(CVRS[1:3])]
    register = VirkRegister(
        httpserver,
        *[
            virk_document(cvr=cvr, name=f"Firma {n}", p_number=f"10000000{n}0")
            for n, cvr in enumerate(CVRS[1:3])
        ],
    )

    assert do_refresh_from_register(limit=1, per_second=FAST)["finished"] is False
    assert do_refresh_from_register(per_second=FAST)["finished"] is True
    assert register.asked_cvrs() == [c.cvr for c in companies]


def test_without_a_register_the_refresh_does_nothing(world, settings):
    settings.CVR_REGISTER_URL = settings.CVRAPI_URL = ""
    register_company(world, CVRS[1], "Firma")

    assert do_refresh_from_register() == {"checked": 0, "changed": 0, "finished": False}
