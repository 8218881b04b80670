"""The operators' own user survey (issue 17): who is invited and when, the one reminder, the
public answer page (single use, expiry, anonymous unless the respondent agrees), and the
indicators counting the answers by their source."""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from contracts import indicators
from contracts.models import Evaluation
from contracts.surveys import sending, services
from contracts.surveys.models import SurveyInvitation, SurveySettings, settings_for
from crm import anonymise
from crm.models import ContactPerson, Founder
from crm.services import do_add_contact, do_log_session
from referrals.models import Adviser, Referral, ReferralEvent
from referrals.services import accept_referral, complete_referral, mark_contacted, send_referral
from tests.at_once import WAIT, at_once, on_own_connection, wait_until_waiting

TODAY = timezone.localdate()
DAYS_AGO_3 = TODAY - datetime.timedelta(days=3)
ANSWER = {"satisfaction": "very", "nps": "9", "effect": "high", "comment": "God hjælp"}


def log(world, subject, *, date=DAYS_AGO_3, kind="full", operator=None):
    return do_log_session(
        world.consultant,
        subject,
        operator=operator or world.local,
        date=date,
        tier="local",
        channel="visit",
        kind=kind,
        themes=["export"],
    )


def contact_of(world, company, **fields):
    values = {"name": "Mette Holm", "email": "mette@smedie.dk", "survey_consent": True, **fields}
    return do_add_contact(world.consultant, company, **values)


def later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def link_in(message) -> str:
    """The answer page's path in an e-mail (the token is only ever there)."""
    return re.search(r"http://[^/]+(/svar/[^/\s]+/)", message.body).group(1)


@pytest.fixture
def guided(world, company):
    """A company whose contact person agreed to surveys, guided three days ago."""
    contact_of(world, company)
    return log(world, company)


@pytest.fixture
def invited(guided):
    """The invitation sent; its link."""
    sending.run()
    return link_in(mail.outbox[-1])


# --- Who is invited ---------------------------------------------------------------------------


def test_the_job_invites_the_consenting_contact_once_however_often_it_runs(world, guided):
    first = sending.run()
    sending.run()

    assert (first.created, first.sent) == (1, 1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mette@smedie.dk"]
    invitation = SurveyInvitation.objects.get()
    assert invitation.session == guided and invitation.operator == world.local
    token = link_in(mail.outbox[0]).split("/")[2]
    assert invitation.token_hash == services.digest(token) != token
    assert "Smedie" not in link_in(mail.outbox[0])  # the link carries no personal data
    assert mail.outbox[0].alternatives  # the HTML part


def test_a_founder_who_agreed_is_invited(world, founder):
    Founder.objects.filter(pk=founder.pk).update(email="ane@example.dk", survey_consent=True)
    log(world, founder)

    sending.run()

    assert mail.outbox[0].to == ["ane@example.dk"]


SKIPS = {
    "no consent": lambda world, company: contact_of(world, company, survey_consent=False),
    "no e-mail": lambda world, company: contact_of(world, company, email=""),
    "contact left": lambda world, company: contact_of(
        world, company, left_on=TODAY - datetime.timedelta(days=1)
    ),
}


@pytest.mark.parametrize("reason", SKIPS)
def test_nobody_to_ask_means_no_invitation(world, company, reason):
    SKIPS[reason](world, company)
    log(world, company)

    assert sending.run().created == 0
    assert not mail.outbox


def test_a_brief_contact_is_not_surveyed(world, company):
    contact_of(world, company)
    log(world, company, kind="brief")

    assert sending.run().created == 0


def test_the_delay_must_have_passed_and_old_sessions_are_left_alone(world, company):
    contact_of(world, company)
    log(world, company, date=TODAY - datetime.timedelta(days=2))  # delay 3 days
    log(world, company, date=TODAY - datetime.timedelta(days=3 + sending.WINDOW_DAYS + 1))

    assert sending.run().created == 0


def test_an_operator_that_turned_the_survey_off_sends_nothing(world, guided):
    SurveySettings.objects.create(operator=world.local, enabled=False)

    assert sending.run().created == 0


def test_the_operators_own_delay_counts(world, company):
    SurveySettings.objects.create(operator=world.local, delay_days=1)
    contact_of(world, company)
    log(world, company, date=TODAY - datetime.timedelta(days=1))

    assert sending.run().created == 1


def test_a_subject_surveyed_within_the_interval_is_skipped(world, company, guided):
    sending.run()
    SurveyInvitation.objects.update(created_at=timezone.now() - datetime.timedelta(days=60))
    log(world, company, date=TODAY - datetime.timedelta(days=4))

    assert sending.run().created == 0  # 2 months ago, interval 6 months

    SurveyInvitation.objects.update(created_at=timezone.now() - datetime.timedelta(days=200))
    assert sending.run().created == 1


def test_two_sessions_of_one_subject_give_one_invitation(world, company):
    contact_of(world, company)
    log(world, company, date=TODAY - datetime.timedelta(days=5))
    newest = log(world, company)

    sending.run()

    assert list(SurveyInvitation.objects.values_list("session", flat=True)) == [newest.pk]


def test_settings_for_gives_defaults_until_saved(world):
    defaults = settings_for(world.local)
    assert defaults.pk is None and defaults.enabled and defaults.delay_days == 3

    SurveySettings.objects.create(operator=world.local, delay_days=5)
    world.local.refresh_from_db()
    assert settings_for(world.local).delay_days == 5


def completed_referral(world, company, days_ago: int = 3) -> Referral:
    referral = send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Eksport",
        themes=["export"],
    )
    accept_referral(world.triage, referral)
    mark_contacted(world.triage, referral)
    complete_referral(world.triage, referral)
    ReferralEvent.objects.filter(referral=referral).update(
        at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return referral


def test_a_completed_referral_is_surveyed_for_the_receiver_when_it_asks(
    world, company, hub_consent
):
    contact_of(world, company)
    referral = completed_referral(world, company)
    assert sending.run().created == 0  # the hub does not survey after referrals

    SurveySettings.objects.create(operator=world.hub, after_referrals=True)
    sending.run()

    invitation = SurveyInvitation.objects.get()
    assert (invitation.referral, invitation.operator) == (referral, world.hub)


@pytest.mark.django_db(transaction=True)
def test_two_job_runs_at_once_send_one_email(world, company):
    contact_of(world, company)
    log(world, company)
    locked, release = threading.Event(), threading.Event()

    def hold():  # the job's lock, held until both runs wait for it
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('contracts.surveys'))")
            locked.set()
            release.wait(WAIT)

    with ThreadPoolExecutor(3) as pool:
        holder = pool.submit(on_own_connection(hold))
        assert locked.wait(WAIT)
        runs = [pool.submit(on_own_connection(sending.run)) for _ in range(2)]
        wait_until_waiting(2)
        release.set()
        holder.result(WAIT)
        counts = [run.result(WAIT) for run in runs]

    assert sorted(c.sent for c in counts) == [0, 1], counts
    assert len(mail.outbox) == 1
    assert SurveyInvitation.objects.count() == 1


# --- The reminder -----------------------------------------------------------------------------


def test_one_reminder_after_the_set_days_with_a_link_of_its_own(world, invited, client):
    assert sending.run(later(6)).reminded == 0
    assert sending.run(later(7)).reminded == 1
    assert sending.run(later(8)).reminded == 0

    assert len(mail.outbox) == 2
    reminder = link_in(mail.outbox[1])
    assert reminder != invited and "Påmindelse" in mail.outbox[1].subject
    assert client.get(invited).status_code == 200  # the first e-mail's link still works
    assert client.post(reminder, ANSWER).status_code == 200
    assert client.get(invited).status_code == 410  # once


def test_no_reminder_after_an_answer(world, invited, client):
    client.post(invited, ANSWER)

    assert sending.run(later(7)).reminded == 0


def test_no_reminder_once_the_consent_is_withdrawn(world, invited):
    ContactPerson.objects.update(survey_consent=False)

    assert sending.run(later(7)).reminded == 0


def test_no_reminder_after_expiry_and_the_address_is_forgotten(world, guided):
    SurveySettings.objects.create(operator=world.local, valid_days=5)
    sending.run()

    counts = sending.run(later(7))

    assert (counts.reminded, counts.expired) == (0, 1)
    assert SurveyInvitation.objects.get().recipient_email == ""
    assert len(mail.outbox) == 1


# --- The answer page --------------------------------------------------------------------------


def test_an_answer_is_an_anonymous_own_survey_evaluation_unless_ticked(world, invited, guided):
    response = Client().post(invited, ANSWER)

    assert response.status_code == 200
    evaluation = Evaluation.objects.get()
    assert evaluation.origin == Evaluation.Origin.OWN
    assert (evaluation.operator, evaluation.municipality) == (world.local, world.home)
    assert (evaluation.satisfaction, evaluation.nps, evaluation.effect) == ("very", 9, "high")
    assert evaluation.themes == ["export"] and evaluation.answered_on == TODAY
    assert (evaluation.company, evaluation.founder, evaluation.session) == (None, None, None)
    invitation = SurveyInvitation.objects.get()
    assert invitation.answered_at and invitation.recipient_email == ""
    assert invitation.evaluation is None  # nothing leads from the answer to the company


def test_a_ticked_answer_is_kept_with_the_company_and_session(world, invited, guided, company):
    Client().post(invited, {**ANSWER, "keep_identity": "on"})

    evaluation = Evaluation.objects.get()
    assert (evaluation.company, evaluation.session) == (company, guided)
    assert SurveyInvitation.objects.get().evaluation == evaluation


def test_a_link_answers_once(invited):
    Client().post(invited, ANSWER)

    second = Client().post(invited, {**ANSWER, "nps": "0"})

    assert second.status_code == 410
    assert "Du har allerede svaret" in second.content.decode()
    assert Evaluation.objects.get().nps == 9


def test_an_expired_link_says_so(invited):
    SurveyInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = Client().post(invited, ANSWER)

    assert response.status_code == 410
    assert "Linket er udløbet" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_an_unknown_token_is_404(db):
    assert Client().get("/svar/not-a-token/").status_code == 404


def test_the_page_keeps_the_token_out_of_html_and_referers(invited):
    response = Client().get(invited)

    token = invited.split("/")[2]
    assert token not in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert "<legend>" in response.content.decode()


def test_the_page_is_english_on_request(invited):
    response = Client().get(invited + "?lang=en")

    assert 'lang="en"' in response.content.decode()


def test_the_danish_email_offers_the_questionnaire_in_english(invited):
    email = mail.outbox[0]
    english = re.search(r"Read and answer in English: http://[^/]+(/svar/\S+)", email.body)

    assert english and english.group(1) == invited + "?lang=en"
    html = email.alternatives[0][0]
    assert re.search(
        r'<p lang="en"><a href="http://[^/"]+' + re.escape(invited) + r'\?lang=en">', html
    )
    page = Client().get(english.group(1)).content.decode()
    assert 'lang="en"' in page and "How satisfied" in page


def test_an_invalid_answer_is_refused_in_danish_and_nothing_is_written(invited):
    response = Client().post(invited, {**ANSWER, "nps": "11"})

    assert response.status_code == 400
    assert "Vælg et tal fra 0 til 10." in response.content.decode()
    assert "Der er fejl i formularen" in response.content.decode()
    assert not Evaluation.objects.exists()
    assert SurveyInvitation.objects.get().answered_at is None


def test_the_referral_question_is_asked_only_about_an_open_referral(world, company, guided):
    sending.run()
    path = link_in(mail.outbox[0])
    assert "referral_used" not in Client().get(path).content.decode()

    adviser = Adviser.objects.create(name="Revisor Jensen")
    referral = send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_adviser=adviser,
        reason="Regnskab",
    )
    assert "referral_used" in Client().get(path).content.decode()

    Client().post(path, {**ANSWER, "referral_used": "used", "keep_identity": "on"})
    referral.refresh_from_db()
    assert (referral.uptake, referral.uptake_source) == ("used", "evaluation")
    assert Evaluation.objects.get().referral_used == "used"


def test_the_operators_own_staff_cannot_answer(world, invited):
    response = world.client_for(world.consultant).post(invited, ANSWER)

    assert response.status_code == 403
    assert not Evaluation.objects.exists()


def test_unsubscribing_ends_the_invitation_and_the_consent(world, invited, company):
    unsubscribe = invited + "afmeld/"
    assert Client().get(unsubscribe).status_code == 200  # a mail scanner's GET changes nothing
    assert ContactPerson.objects.get().survey_consent

    Client().post(unsubscribe)

    assert not ContactPerson.objects.get().survey_consent
    assert SurveyInvitation.objects.get().recipient_email == ""
    assert Client().get(invited).status_code == 410
    SurveyInvitation.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    log(world, company, date=TODAY - datetime.timedelta(days=1))
    assert sending.run(later(2)).created == 0


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_give_one_answer(world, company):
    contact_of(world, company)
    log(world, company)
    sending.run()
    token = link_in(mail.outbox[0]).split("/")[2]
    answer = services.Answer(satisfaction="very", nps=10, effect="high")

    answers = at_once(
        lambda: services.do_answer(token, answer),
        lambda: services.do_answer(token, answer),
        held=[SurveyInvitation.objects.get()],
    )

    assert sorted(type(a).__name__ for a in answers) == ["Evaluation", "LinkRefused"]
    assert Evaluation.objects.count() == 1


# --- Counting and forgetting ------------------------------------------------------------------


def national(world, satisfaction: str) -> Evaluation:
    return Evaluation.objects.create(
        operator=world.local,
        municipality=world.home,
        answered_on=TODAY,
        satisfaction=satisfaction,
        source="evaluering.csv",
    )


def test_the_indicators_count_own_answers_and_a_goal_chooses_its_sources(world, invited):
    Client().post(invited, ANSWER)  # own survey: very satisfied
    national(world, "dissatisfied")
    period = indicators.Period(TODAY.replace(month=1, day=1), TODAY.replace(month=12, day=31))
    share = indicators.satisfaction_share

    def value(**params):
        return share(period, [world.home.pk], [world.local.pk], **params).total.value

    assert value() == Decimal("50.0")
    assert value(sources=["own"]) == Decimal("100.0")
    assert value(sources=["national"]) == Decimal("0.0")
    assert "sources" in indicators.CATALOGUE["nps"].parameters
    assert "sources" in indicators.CATALOGUE["effect_share"].parameters


def test_an_anonymised_founder_takes_the_comment_with_it(world, founder):
    Founder.objects.filter(pk=founder.pk).update(email="ane@example.dk", survey_consent=True)
    log(world, founder)
    sending.run()
    Client().post(link_in(mail.outbox[0]), {**ANSWER, "keep_identity": "on"})

    anonymise.founders([founder.pk])

    evaluation = Evaluation.objects.get()
    assert evaluation.comment == "" and evaluation.satisfaction == "very"


def test_the_consent_to_surveys_is_set_on_the_contact_form_and_through_the_api(world, company):
    from django.urls import reverse

    from crm.forms import ContactForm, FounderForm

    assert (
        "survey_consent" in ContactForm.base_fields and "survey_consent" in FounderForm.base_fields
    )
    contact = contact_of(world, company, survey_consent=False)
    url = reverse("api-contact-detail", args=[contact.pk])

    response = world.client_for(world.consultant).patch(
        url, {"survey_consent": True}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["survey_consent"] is True
    assert ContactPerson.objects.get(pk=contact.pk).survey_consent


def test_the_back_office_lists_invitations_without_their_address(world, invited):
    from tests.factories import UserFactory

    admin_client = world.client_for(UserFactory(is_staff=True, is_superuser=True))
    invitation = SurveyInvitation.objects.get()

    listing = admin_client.get("/admin/contracts/surveyinvitation/")
    detail = admin_client.get(f"/admin/contracts/surveyinvitation/{invitation.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert "mette@smedie.dk" not in detail.content.decode()
    assert admin_client.get("/admin/contracts/evaluation/?origin=own").status_code == 200


def test_settings_whose_reminder_comes_after_the_link_expired_are_refused_everywhere(world):
    """The rule is the model's, so the back office refuses it as the managers' page does."""
    survey = SurveySettings(operator=world.local, reminder_after_days=30, valid_days=30)

    with pytest.raises(ValidationError) as refused:
        survey.full_clean()

    assert "reminder_after_days" in refused.value.message_dict
    SurveySettings(operator=world.local, reminder_after_days=29, valid_days=30).full_clean()
