"""Guidance sessions with their consultants, and the consent the guided companies give."""

import datetime
from decimal import Decimal

from django.utils import timezone

from crm.demo.plan import Plan, bulk, spread, validated
from crm.demo.vocabulary import (
    CLOSINGS,
    COMPANY_THEMES,
    CONTENT,
    FOUNDER_THEMES,
    HUB_CHANNELS,
    LOCAL_CHANNELS,
    LOCAL_CLOSINGS,
)
from crm.models import Company, Consent, ContactPerson, GuidanceSession, Theme

KONSULENT_FOLLOW_UPS = 12  # the demo consultant's follow-ups around today


def seed_sessions(plan: Plan, count: int, companies: list, founders: list) -> list:
    """``count`` sessions over the last year, spread like the population; founders are
    weighted double, so they have about a sixth of them."""
    by_municipality: dict[int, list] = {}
    for subject in companies + founders * 2:
        by_municipality.setdefault(subject.municipality_id, []).append(subject)
    built = [
        build_session(plan, plan.rng.choice(by_municipality[m.pk]))
        for _, m in spread(plan, list(range(count)))
        if m.pk in by_municipality
    ]
    konsulent_follow_ups(plan, [session for session, _ in built])
    sessions = bulk(GuidanceSession, [session for session, _ in built])
    through = GuidanceSession.consultants.through
    rows = [
        through(guidancesession=s, user=u)
        for s, (_, team) in zip(sessions, built, strict=True)
        for u in team
    ]
    bulk(through, rows)
    return sessions


def build_session(plan: Plan, subject) -> tuple[GuidanceSession, list]:
    """One guidance and its consultants: mostly by the local business service, some
    specialised guidance by the hub (more often for companies with growth potential)."""
    rng = plan.rng
    is_company = isinstance(subject, Company)
    hub = is_company and rng.random() < (0.35 if subject.growth_potential else 0.1)
    operator = plan.hub if hub else plan.local[subject.municipality_id]
    staff, weights = plan.staff[operator.pk], plan.staff_weights[operator.pk]
    author = plan.weighted(staff, weights)
    full = hub or rng.random() < 0.7
    if is_company:
        themes = rng.sample(COMPANY_THEMES, rng.choice([1, 1, 2, 3]))
    else:
        themes = [Theme.START_UP, *rng.sample(FOUNDER_THEMES, rng.randint(0, 1))]
    session = GuidanceSession(
        company=subject if is_company else None,
        founder=None if is_company else subject,
        operator=operator,
        municipality_id=subject.municipality_id,
        date=plan.date_within(364, after=subject.started_on if is_company else None),
        tier=GuidanceSession.Tier.SPECIALISED if hub else GuidanceSession.Tier.LOCAL,
        channel=plan.weighted(
            GuidanceSession.Channel.values, HUB_CHANNELS if hub else LOCAL_CHANNELS
        ),
        kind=GuidanceSession.Kind.FULL if full else GuidanceSession.Kind.BRIEF,
        themes=themes,
        content=" ".join(
            [CONTENT[t] for t in themes] + [rng.choice(CLOSINGS if hub else LOCAL_CLOSINGS)]
        ),
        created_by=author,
    )
    set_hours(plan, session)
    if is_company and full and rng.random() < 0.2:
        session.screening_done = True
        session.screening_result = subject.growth_potential or rng.choice(["A", "B", "C", ""])
    if full and rng.random() < 0.4:
        follow_up = session.date + datetime.timedelta(days=rng.choice([14, 21, 30, 45, 60, 90]))
        # The older follow-ups have been done and cleared; the recent ones are still open.
        if follow_up >= plan.today - datetime.timedelta(days=21):
            session.follow_up_on = follow_up
    colleague = plan.weighted(staff, weights) if rng.random() < 0.15 else author
    return validated(session), list(dict.fromkeys([author, colleague]))


def set_hours(plan: Plan, session: GuidanceSession) -> None:
    """Planned 2 + 4 + 2 hours per guidance (seed 000); a brief contact takes minutes."""
    rng = plan.rng
    if session.kind == GuidanceSession.Kind.FULL:
        before, during, after = rng.choice("1222223"), rng.choice("2344456"), rng.choice("12223")
    else:
        before, during, after = "0", rng.choice(["0.5", "0.5", "1"]), rng.choice(["0", "0.5"])
    session.hours_before, session.hours_during, session.hours_after = (
        Decimal(before),
        Decimal(during),
        Decimal(after),
    )


def konsulent_follow_ups(plan: Plan, sessions: list[GuidanceSession]) -> None:
    """The demo consultant's latest full sessions get follow-ups from two weeks ago to a
    month ahead, so 'my follow-ups' has something due today."""
    mine = [
        s
        for s in sessions
        if s.created_by.username == "konsulent"
        and s.kind == GuidanceSession.Kind.FULL
        and s.date <= plan.today - datetime.timedelta(days=14)
    ]
    mine.sort(key=lambda s: s.date, reverse=True)
    for i, session in enumerate(mine[:KONSULENT_FOLLOW_UPS]):
        offset = -14 + i * 4  # -14, -10, ... +30 days
        session.follow_up_on = plan.today + datetime.timedelta(days=offset)


def seed_consents(plan: Plan, sessions: list[GuidanceSession]) -> int:
    """About a third of the guided companies consent to share, mostly with all operators:
    said by a contact person in a meeting with the operator that guided them, so in force
    from the day it was recorded (crm.consents)."""
    rng, consents, named = plan.rng, [], []
    guided = {s.company_id: s for s in sessions if s.company_id}
    givers = dict(
        ContactPerson.objects.filter(company_id__in=guided)
        .order_by("company_id", "-pk")
        .values_list("company_id", "pk")
    )
    for session in guided.values():
        if rng.random() > 0.33:
            continue
        scope = Consent.Scope.ALL if rng.random() < 0.7 else Consent.Scope.NAMED
        given = plan.date_within(365)
        withdrawn = plan.date_within(365, after=given) if rng.random() < 0.05 else None
        recorded = timezone.make_aware(datetime.datetime.combine(given, datetime.time(12)))
        consent = Consent(
            company_id=session.company_id,
            given_on=given,
            given_by_id=givers.get(session.company_id),
            method=Consent.Method.MEETING,
            scope=scope,
            recorded_by=session.created_by,
            operator_id=session.operator_id,
            recorded_at=recorded,
            confirmed_at=recorded,
            confirmation=Consent.Confirmation.GUIDED,
            withdrawn_on=withdrawn,
        )
        consents.append(consent)
        if scope == Consent.Scope.NAMED:
            named.append((consent, [plan.local[session.municipality_id], plan.hub]))
    bulk(Consent, consents)
    through = Consent.operators.through
    bulk(through, [through(consent=c, operator=o) for c, ops in named for o in ops])
    return len(consents)
