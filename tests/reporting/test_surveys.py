"""The managers' view of the operator's own user survey (issue 17): response rates per
consultant and month counted by hand, the comments (anonymous answers without a name), the
settings form, the start page's box, and the access walk."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Evaluation
from contracts.surveys.models import SurveyInvitation, SurveySettings
from crm import services
from crm.models import Membership
from reporting import surveys
from tests.conftest import assert_four_users, make_member
from tests.counting import assert_queries_do_not_grow, page_rows

pytestmark = pytest.mark.django_db

NOW = timezone.now()
THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = (THIS_MONTH - datetime.timedelta(days=1)).replace(day=1)


def at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def session_of(world, company, *consultants):
    return services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        consultants=consultants,
        date=timezone.localdate(),
        tier="local",
        channel="visit",
    )


def invite(world, *, sent_at, session=None, referral=None, answered=False, operator=None):
    """An invitation as the job leaves it once sent (and answered, the day after)."""
    return SurveyInvitation.objects.create(
        operator=operator or world.local,
        session=session,
        referral=referral,
        company=(session or referral).company,
        municipality=world.home,
        token_hash=uuid.uuid4().hex,
        sent_at=sent_at,
        expires_at=sent_at and sent_at + datetime.timedelta(days=30),
        answered_at=sent_at + datetime.timedelta(days=1) if answered and sent_at else None,
    )


def answer(invitation, *, comment, answered_on, with_subject=True, nps=9):
    """An own-survey answer to ``invitation`` as ``contracts.surveys.services.do_answer``
    stores it: with its subject, session and invitation, or anonymously (none of them)."""
    evaluation = Evaluation.objects.create(
        operator=invitation.operator,
        origin=Evaluation.Origin.OWN,
        company=invitation.company if with_subject else None,
        session=invitation.session if with_subject else None,
        municipality=invitation.municipality,
        answered_on=answered_on,
        satisfaction=Evaluation.Satisfaction.VERY,
        nps=nps,
        comment=comment,
    )
    invitation.evaluation = evaluation if with_subject else None
    invitation.answered_at = invitation.answered_at or at_noon(answered_on)
    invitation.save(update_fields=["evaluation", "answered_at"])
    return evaluation


@pytest.fixture
def anna(world):
    world.consultant.first_name, world.consultant.last_name = "Anna", "Andersen"
    world.consultant.save()
    return world.consultant


@pytest.fixture
def bo(world):
    return make_member(world.local, Membership.Role.CONSULTANT, first_name="Bo", last_name="Berg")


@pytest.fixture
def counted_set(world, company, anna, bo, referral):
    """Last month: Anna's two sessions (one answered), a session of Anna and Bo (answered).
    This month: Bo's two sessions (one answered), and Anna's referral (no assignee: it counts
    for her, its sender), unanswered. Not counted: an invitation not sent yet, one sent 13
    months ago, and another operator's."""
    last = at_noon(LAST_MONTH + datetime.timedelta(days=9))
    invite(world, sent_at=last, session=session_of(world, company, anna), answered=True)
    invite(world, sent_at=last, session=session_of(world, company, anna))
    invite(world, sent_at=last, session=session_of(world, company, anna, bo), answered=True)
    invite(world, sent_at=NOW, session=session_of(world, company, bo))
    invite(world, sent_at=NOW, session=session_of(world, company, bo), answered=True)
    invite(world, sent_at=NOW, referral=referral)
    invite(world, sent_at=None, session=session_of(world, company, bo))
    old = at_noon(surveys.first_month(THIS_MONTH) - datetime.timedelta(days=20))
    invite(world, sent_at=old, session=session_of(world, company, bo), answered=True)
    invite(world, sent_at=NOW, session=session_of(world, company, bo), operator=world.other_local)


def table(months) -> list[tuple]:
    return [
        (m.month, name, rate.sent, rate.answered, rate.percent)
        for m in months
        for name, rate in [("I alt", m.total), *((c.name, c) for c in m.consultants)]
    ]


def test_response_rate_per_consultant_and_month_counted_by_hand(world, counted_set):
    months = surveys.response_rates(world.local, timezone.localdate())

    assert table(months) == [
        (THIS_MONTH, "I alt", 3, 1, 33),
        (THIS_MONTH, "Anna Andersen", 1, 0, 0),
        (THIS_MONTH, "Bo Berg", 2, 1, 50),
        # The session of Anna and Bo counts for both; once in the month's total.
        (LAST_MONTH, "I alt", 3, 2, 67),
        (LAST_MONTH, "Anna Andersen", 3, 2, 67),
        (LAST_MONTH, "Bo Berg", 1, 1, 100),
    ]


def test_a_referral_counts_for_its_assignee_at_the_receiver(world, company, bo, referral):
    referral.assignee = bo
    referral.save(update_fields=["assignee"])
    invite(world, sent_at=NOW, referral=referral, answered=True)

    (month,) = surveys.response_rates(world.local, timezone.localdate())

    assert [(c.name, c.sent, c.answered) for c in month.consultants] == [("Bo Berg", 1, 1)]


def test_page_shows_the_rates_by_month(world, counted_set):
    response = world.client_for(world.manager).get(
        reverse("survey-overview", args=[world.local.pk])
    )

    assert response.status_code == 200
    assert f"<td>{THIS_MONTH:%m.%Y}</td><td>Bo Berg</td><td>2</td><td>1</td><td>50 %</td>" in (
        response.text
    )


def test_comments_newest_first_with_date_consultants_satisfaction_and_nps(world, company, anna, bo):
    older = invite(world, sent_at=NOW, session=session_of(world, company, anna, bo))
    newer = invite(world, sent_at=NOW, session=session_of(world, company, bo))
    answer(older, comment="Gode råd om eksport", answered_on=datetime.date(2026, 10, 2), nps=7)
    answer(newer, comment="Hurtigt svar", answered_on=datetime.date(2026, 11, 3))
    silent = invite(world, sent_at=NOW, session=session_of(world, company, bo))
    answer(silent, comment="", answered_on=datetime.date(2026, 11, 4))

    response = world.client_for(world.manager).get(
        reverse("survey-overview", args=[world.local.pk])
    )

    lines = response.context["comments"]
    assert [line.evaluation.comment for line in lines] == ["Hurtigt svar", "Gode råd om eksport"]
    assert [p.first_name for p in lines[1].consultants] == ["Anna", "Bo"]
    assert lines[1].subject == "Østergaard Smedie ApS"
    assert "03.11.2026" in response.text and "02.10.2026" in response.text
    assert "Meget tilfreds" in response.text
    assert "Anna Andersen, Bo Berg" in response.text


def test_an_anonymous_answer_shows_no_name(world, company, bo):
    invitation = invite(world, sent_at=NOW, session=session_of(world, company, bo))
    answer(invitation, comment="Gerne igen", answered_on=timezone.localdate(), with_subject=False)

    response = world.client_for(world.manager).get(
        reverse("survey-overview", args=[world.local.pk])
    )

    assert "Gerne igen" in response.text
    assert "Anonym besvarelse" in response.text
    assert company.name not in response.text
    (line,) = response.context["comments"]
    assert (line.subject, line.consultants) == (None, [])


def test_national_answers_and_other_operators_comments_are_not_listed(world, company, bo):
    invitation = invite(
        world, sent_at=NOW, session=session_of(world, company, bo), operator=world.other_local
    )
    answer(invitation, comment="Andet sted", answered_on=timezone.localdate())
    Evaluation.objects.create(
        operator=world.local,
        municipality=world.home,
        answered_on=timezone.localdate(),
        comment="National besvarelse",
    )

    response = world.client_for(world.manager).get(
        reverse("survey-overview", args=[world.local.pk])
    )

    assert response.context["comments"] == []
    assert "Andet sted" not in response.text and "National besvarelse" not in response.text


def test_survey_page_for_the_four_users(world):
    url = reverse("survey-overview", args=[world.local.pk])
    assert_four_users(world, url, allowed=world.manager, no_right=world.viewer)
    assert world.client_for(world.consultant).get(url).status_code == 403


def test_another_operators_manager_gets_404(world):
    other_manager = make_member(world.other_local, Membership.Role.MANAGER)
    hub_manager = make_member(world.hub, Membership.Role.MANAGER)  # serves Viborg too
    url = reverse("survey-overview", args=[world.local.pk])

    assert world.client_for(other_manager).get(url).status_code == 404
    assert world.client_for(hub_manager).get(url).status_code == 404
    assert (
        world.client_for(world.manager).get(reverse("survey-overview", args=[999999])).status_code
        == 404
    )


SETTINGS = {
    "enabled": "on",
    "delay_days": "0",
    "interval_months": "6",
    "reminder_after_days": "7",
    "valid_days": "30",
}


def test_manager_saves_the_settings(world):
    url = reverse("survey-overview", args=[world.local.pk])

    response = world.client_for(world.manager).post(url, SETTINGS)

    assert response.status_code == 302
    saved = SurveySettings.objects.get(operator=world.local)
    assert (saved.enabled, saved.delay_days, saved.after_referrals) == (True, 0, False)


def test_a_reminder_after_the_link_expired_is_refused_with_a_message(world):
    url = reverse("survey-overview", args=[world.local.pk])

    response = world.client_for(world.manager).post(url, {**SETTINGS, "reminder_after_days": "30"})

    assert response.status_code == 200
    assert "Påmindelsen skal sendes, før linket udløber" in response.text
    assert not SurveySettings.objects.filter(operator=world.local).exists()


def test_viewer_and_outsider_change_no_settings(world):
    url = reverse("survey-overview", args=[world.local.pk])

    assert world.client_for(world.viewer).post(url, SETTINGS).status_code == 403
    assert world.client_for(world.outsider).post(url, SETTINGS).status_code == 404
    assert not SurveySettings.objects.exists()


def test_managers_start_page_shows_this_months_rate_and_a_link(world, counted_set):
    response = world.client_for(world.manager).get(reverse("home"))

    assert "1 af 3 invitationer besvaret (33 %)" in response.text
    assert reverse("survey-overview", args=[world.local.pk]) in response.text


def test_survey_page_queries_do_not_grow_with_consultants(world, company):
    made = []

    def add_consultants(n):
        for _ in range(n):
            person = make_member(world.local, Membership.Role.CONSULTANT)
            invitation = invite(world, sent_at=NOW, session=session_of(world, company, person))
            answer(invitation, comment=f"Kommentar {len(made)}", answered_on=timezone.localdate())
            made.append(person)

    assert_queries_do_not_grow(
        world.client_for(world.manager),
        reverse("survey-overview", args=[world.local.pk]),
        add_consultants,
        page_rows("comments"),
        n=3,
    )
