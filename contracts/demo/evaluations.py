"""Answers to the national user evaluation: Erhvervshus Sydjylland's (KKR Syddanmark goals 3,
5-7), Viborg 2014's satisfaction survey and the year of the crm demo in Midtjylland."""

import datetime
import random

from django.utils import timezone

from contracts.demo.activity import Activity, ActivitySizes
from contracts.models import Evaluation
from crm.models import GuidanceSession, Municipality, Operator

D = datetime.date

# fmt: off
SATISFACTION = ["very", "satisfied", "neutral", "dissatisfied", "very_dissatisfied", "unknown"]
SATISFACTION_WEIGHTS = {"operations": [76, 16, 4, 1, 1, 2], "growth": [82, 12, 3, 1, 0, 2]}
SURVEY_2014_WEIGHTS = [55, 30, 8, 3, 1, 3]  # on average 85% satisfied or very satisfied
NPS_WEIGHTS = {"operations": [1, 0, 0, 1, 1, 2, 3, 6, 12, 20, 54],  # 0..10: NPS about 65
               "growth": [0, 0, 0, 1, 1, 1, 2, 5, 10, 19, 61]}  # about 75
EFFECT = ["high", "some", "low", "none", "unknown"]
EFFECT_WEIGHTS = {"green": [70, 22, 4, 1, 3], "digital": [58, 30, 7, 2, 3],
                  "other": [62, 28, 5, 2, 3]}
# fmt: on
EVALUATION_SOURCE = "Brugerevaluering (demo)"


def answer(activity: Activity, segment: str, themes: list[str], **fields) -> Evaluation:
    """One answer of the national user evaluation (about specialised guidance), drawn by
    segment (satisfaction, NPS) and theme (expected effect)."""
    rng = activity.rng
    theme = "green" if "green" in themes else "digital" if "digital" in themes else "other"
    nps = rng.choices(range(11), NPS_WEIGHTS[segment])[0]
    return Evaluation(
        segment=segment,
        themes=themes,
        satisfaction=rng.choices(SATISFACTION, SATISFACTION_WEIGHTS[segment])[0],
        nps=nps if rng.random() < 0.95 else None,
        effect=rng.choices(EFFECT, EFFECT_WEIGHTS[theme])[0],
        source=EVALUATION_SOURCE,
        is_demo=True,
        **fields,
    )


def evaluations_for(activity: Activity, sessions, last_day: datetime.date) -> list[Evaluation]:
    """About ``answer_share`` of the guided companies answer, two to eight weeks after their
    last session of the list (answers after ``last_day`` are not in yet)."""
    by_company: dict[int, list] = {}
    for session in sessions:
        by_company.setdefault(session.company_id, []).append(session)
    answers = []
    for company_sessions in by_company.values():
        last = max(company_sessions, key=lambda s: s.date)
        answered_on = last.date + datetime.timedelta(days=activity.rng.randint(14, 56))
        if activity.rng.random() > activity.sizes.answer_share or answered_on > last_day:
            continue
        themes = sorted({t for s in company_sessions for t in s.themes})
        segment = last.company.segment or activity.rng.choice(["operations", "growth"])
        answers.append(
            answer(
                activity,
                segment,
                themes,
                operator_id=last.operator_id,
                company_id=last.company_id,
                municipality_id=last.municipality_id,
                answered_on=answered_on,
            )
        )
    return answers


def syd_evaluations(activity: Activity, sessions, last_day: datetime.date) -> None:
    answers = Evaluation.objects.bulk_create(evaluations_for(activity, sessions, last_day))
    activity.created["evaluation answers"] = len(answers)


def seed_midtjylland_evaluations(seed: int = 1082) -> int:
    """Evaluation answers for Viborg 2014 (the cooperation agreement's satisfaction goal) and,
    once the crm demo exists, for the companies Erhvervshus Midtjylland guided in its year."""
    hub = Operator.objects.get(name="Erhvervshus Midtjylland")
    activity = Activity(random.Random(seed), hub, [], ActivitySizes())
    answers = []
    viborg_source = f"{EVALUATION_SOURCE}, Viborg 2014"
    if not Evaluation.objects.filter(source=viborg_source).exists():
        answers += viborg_2014_answers(activity, viborg_source)
    year_source = f"{EVALUATION_SOURCE}, Erhvervshus Midtjylland"
    if not Evaluation.objects.filter(source=year_source).exists():
        sessions = GuidanceSession.objects.filter(
            operator=hub, company__isnull=False, kind=GuidanceSession.Kind.FULL
        ).select_related("company")
        year = evaluations_for(activity, list(sessions), timezone.localdate())
        for row in year:
            row.source = year_source
        answers += year
    return len(Evaluation.objects.bulk_create(answers))


def viborg_2014_answers(activity: Activity, source: str, count: int = 70) -> list[Evaluation]:
    """The 2014 satisfaction survey (no company link, no segments, no NPS or effect question):
    seven in ten answers about the local service, the rest about the specialised one."""
    viborg = Municipality.objects.get(name="Viborg")
    local = Operator.objects.get(name="Viborgegnens Erhvervsråd")
    rng = activity.rng
    return [
        Evaluation(
            operator=local if rng.random() < 0.7 else activity.hub,
            municipality=viborg,
            answered_on=activity.weekday(D(2014, 2, 1), D(2014, 12, 19)),
            satisfaction=rng.choices(SATISFACTION, SURVEY_2014_WEIGHTS)[0],
            # Goal 5 counts founders and companies with growth ambitions: most answers are
            # from the growth segment, the rest from companies the goal leaves out.
            segment="growth" if rng.random() < 0.6 else "operations",
            source=source,
            is_demo=True,
        )
        for _ in range(count)
    ]
