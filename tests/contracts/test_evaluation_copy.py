"""The evaluation import's write path at volume: rows checked in batches (one query per batch
for CVR numbers, CPR hashes and sessions), COPY into a staging table, one INSERT ... SELECT and
one UPDATE of the referrals' uptake; still all rows or none."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.evaluations import BATCH_ROWS, ImportRefused, import_evaluations
from contracts.models import Evaluation
from crm import services
from referrals.models import Adviser, Referral
from referrals.services import record_uptake, send_referral
from tests.conftest import CPR, CVRS

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
DAY = datetime.date(YEAR, 3, 1)
OPERATOR = "Viborgegnens Erhvervsråd"
HEADER = "operator;municipality_code;answered_on;cvr;cpr;session_id;satisfaction;nps;referral_used"
USED, EXPECTS, NOT_USED, UNKNOWN = (
    "Har brugt rådgivningen",
    "Forventer at bruge den inden for seks måneder",
    "Har ikke brugt den",
    "Ved ikke",
)


def row(day=DAY, *, cvr="", cpr="", session="", used="", nps="8") -> str:
    return f"{OPERATOR};791;{day:%d.%m.%Y};{cvr};{cpr};{session};Tilfreds;{nps};{used}\n"


def file_of(rows: list[str]) -> bytes:
    return (HEADER + "\n" + "".join(rows)).encode()


def test_a_bad_row_in_the_last_batch_refuses_the_whole_file(world, contract, company):
    good = [row(cvr=company.cvr, nps=str(i % 11)) for i in range(BATCH_ROWS)]
    data = file_of([*good, row(nps="11")])  # line BATCH_ROWS + 2: the second batch

    with pytest.raises(ImportRefused) as refused:
        import_evaluations(world.manager, data, source="test")

    assert [error.line for error in refused.value.errors] == [BATCH_ROWS + 2]
    assert not Evaluation.objects.exists()
    result = import_evaluations(world.manager, file_of(good), source="test")
    assert result.count == Evaluation.objects.filter(company=company).count() == BATCH_ROWS
    first, last = Evaluation.objects.order_by("pk")[:: BATCH_ROWS - 1]
    assert (first.nps, last.nps) == (0, (BATCH_ROWS - 1) % 11)  # in file order


def mixed_rows(count: int, company, founder, session) -> list[str]:
    kinds = [
        lambda: row(cvr=company.cvr, used=USED),
        lambda: row(cpr=CPR, used=NOT_USED),
        lambda: row(session=session.pk),
        lambda: row(cvr=company.cvr, session=session.pk, used=UNKNOWN),
        lambda: row(),
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


def test_a_file_of_thousands_of_rows_needs_no_more_queries_than_a_small_one(
    world, contract, company, founder, adviser
):
    session = log(world, company)
    for subject in (company, founder):  # enough for every answer of both files to match one
        many_referrals(refer(world, subject, adviser, sent_on=DAY - datetime.timedelta(days=30)))
    import_evaluations(world.manager, file_of(mixed_rows(5, company, founder, session)), source="")

    with CaptureQueriesContext(connection) as few:
        small = import_evaluations(
            world.manager, file_of(mixed_rows(100, company, founder, session)), source=""
        )
    with CaptureQueriesContext(connection) as many:
        large = import_evaluations(
            world.manager, file_of(mixed_rows(2_000, company, founder, session)), source=""
        )

    assert (small.count, large.count) == (100, 2_000)
    assert (small.uptakes, large.uptakes) == (60, 1_200)
    assert len(many) <= len(few), [q["sql"][:80] for q in many.captured_queries]
    assert Evaluation.objects.filter(session=session).count() == 2 * (1 + 20 + 400)


def many_referrals(referral: Referral, count: int = 1_500) -> None:
    """``count`` copies of ``referral`` (set-up only: sending each would take minutes)."""
    referral.refresh_from_db()
    referral.pk = None
    Referral.objects.bulk_create([Referral(**vars_of(referral)) for _ in range(count)])


def vars_of(referral: Referral) -> dict:
    return {f.attname: getattr(referral, f.attname) for f in Referral._meta.concrete_fields}


@pytest.fixture
def adviser(db):
    return Adviser.objects.create(name="Revisor Hansen", kind="private")


def log(world, subject):
    return services.do_log_session(
        world.consultant,
        subject,
        operator=world.local,
        date=datetime.date(YEAR, 1, 10),
        tier="local",
        channel="visit",
    )


def refer(world, subject, adviser, *, sent_on, user=None, operator=None):
    referral = send_referral(
        user or world.consultant,
        subject,
        sender_operator=operator or world.local,
        target_adviser=adviser,
        reason="Regnskab",
    )
    when = datetime.datetime.combine(sent_on, datetime.time(12), tzinfo=datetime.UTC)
    Referral.objects.filter(pk=referral.pk).update(sent_at=when)
    return referral


def test_uptake_from_a_mixed_file_is_what_the_matching_rule_gives(
    world, contract, company, founder, adviser
):
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Anden ApS", municipality=world.home
    )

    def days(n):
        return DAY + datetime.timedelta(days=n)

    newest = refer(world, company, adviser, sent_on=days(-20))
    older = refer(world, company, adviser, sent_on=days(-200))
    too_old = refer(world, company, adviser, sent_on=days(-400))
    withdrawn = refer(world, company, adviser, sent_on=days(-5))
    Referral.objects.filter(pk=withdrawn.pk).update(state=Referral.State.WITHDRAWN)
    recorded = refer(world, company, adviser, sent_on=days(-10))
    record_uptake(world.consultant, recorded, uptake="unknown")
    of_other = refer(world, other, adviser, sent_on=days(-30))
    by_hub = refer(world, other, adviser, sent_on=days(-15), user=world.triage, operator=world.hub)
    of_founder = refer(world, founder, adviser, sent_on=days(-100))
    data = file_of(
        [
            row(days(10), cvr=company.cvr, used=NOT_USED),  # later: takes the older one
            row(DAY, cvr=company.cvr, used=USED),  # oldest answer first: takes the newest
            row(days(20), cvr=company.cvr, used=UNKNOWN),  # only too_old is left: none
            row(DAY, cvr=other.cvr, used=EXPECTS),  # its own operator's, not the hub's
            row(DAY, cpr=CPR, used=USED),
            row(DAY, cvr=other.cvr),  # no answer to the question
        ]
    )

    result = import_evaluations(world.manager, data, source="test")

    assert result.uptakes == 4
    uptakes = {
        r.pk: (r.uptake, r.uptake_source)
        for r in Referral.objects.filter(
            uptake_source="evaluation", uptake_recorded_at__isnull=False
        )
    }
    assert uptakes == {
        newest.pk: ("used", "evaluation"),
        older.pk: ("not_used", "evaluation"),
        of_other.pk: ("expects", "evaluation"),
        of_founder.pk: ("used", "evaluation"),
    }
    untouched = Referral.objects.filter(pk__in=[too_old.pk, withdrawn.pk, by_hub.pk])
    assert set(untouched.values_list("uptake", flat=True)) == {""}
    recorded.refresh_from_db()
    assert (recorded.uptake, recorded.uptake_source) == ("unknown", "consultant")
    history = apps.get_model("referrals", "ReferralHistory").objects
    assert history.filter(pgh_obj=newest, pgh_label="update", uptake="used").count() == 1
