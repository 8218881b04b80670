"""Referrals to the hub (Erhvervshus Midtjylland): triage, contact and completion, and a few
left open around their deadline."""

import datetime

from django.utils import timezone

from referrals import calendar
from referrals.demo.drafts import Draft, Setting, new_draft, pick, sent_at
from referrals.models import Referral

State = Referral.State

DECLINE_REASONS = [
    "Virksomheden ønsker ikke et forløb lige nu.",
    "Behovet dækkes bedre af den lokale erhvervsservice.",
    "Uden for erhvervshusets målgruppe: ingen vækstambition.",
]
HUB_CLOSING = "Henvist til Erhvervshus Midtjylland"


def hub_weight(session: dict) -> float:
    """Companies with growth potential, screened ones and those the session notes say were
    referred are the likeliest; founders less likely than companies."""
    weight = 1.0 if session["company_id"] else 0.4
    if session["company__growth_potential"]:
        weight *= 4
    if session["screening_done"]:
        weight *= 3
    if HUB_CLOSING in session["content"]:
        weight *= 6
    return weight


def hub_drafts(setting: Setting, sessions: list[dict], count: int) -> list[Draft]:
    chosen = pick(setting, sessions, count, hub_weight)
    urgent = urgent_days(setting)
    drafts = []
    # The latest sessions fill the urgent slots (sent on those days, left open).
    recent = sorted(chosen, key=lambda s: s["date"], reverse=True)
    slots = {}
    for day in urgent:
        session = next((s for s in recent if s["date"] <= day and id(s) not in slots), None)
        if session is not None:
            slots[id(session)] = day
    for session in chosen:
        day = slots.get(id(session))
        at = setting.moment(day) if day else sent_at(setting, session)
        screened = bool(session["screening_done"] or session["company__growth_potential"])
        draft = new_draft(
            setting,
            session,
            at,
            target_operator_id=setting.hub.pk,
            due_on=calendar.due_date(timezone.localdate(at)),
            after_screening=screened and setting.rng.random() < 0.7,
        )
        if day:
            keep_open(setting, draft)
        else:
            hub_story(setting, draft)
        drafts.append(draft)
    return drafts


def urgent_days(setting: Setting) -> list[datetime.date]:
    """Working days whose referrals are due today (two, if today is a working day) or one to
    six days ago (three)."""
    days = [setting.today - datetime.timedelta(days=n) for n in range(1, 14)]
    days = [d for d in days if calendar.is_working_day(d)]
    due_today = [d for d in days if calendar.due_date(d) == setting.today][:1] * 2
    overdue = [d for d in days if 1 <= (setting.today - calendar.due_date(d)).days <= 6][:3]
    return due_today + overdue


def keep_open(setting: Setting, draft: Draft) -> None:
    """An urgent referral: still sent, or accepted and waiting for the call."""
    if setting.rng.random() < 0.5:
        accept(setting, draft, draft.referral.sent_at + datetime.timedelta(hours=2))


def accept(setting: Setting, draft: Draft, at: datetime.datetime) -> None:
    draft.referral.assignee_id = setting.worker()
    draft.move(State.ACCEPTED, setting.triage[0], at)


def deadline_end(setting: Setting, due_on: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(due_on, datetime.time(16)))


def planned_contact(setting: Setting, referral: Referral) -> datetime.datetime:
    """Nine in ten are called within the deadline; the rest one to six working days late."""
    rng = setting.rng
    if rng.random() < 0.9:
        start = referral.sent_at + datetime.timedelta(minutes=30)
        span = (deadline_end(setting, referral.due_on) - start).total_seconds()
        return start + datetime.timedelta(seconds=rng.uniform(0, max(span, 60)))
    return setting.moment(calendar.add_working_days(referral.due_on, rng.randint(1, 6)))


def hub_story(setting: Setting, draft: Draft) -> None:
    """Accepted (mostly) and assigned, contacted, completed; or declined or withdrawn - as far
    as the story has got by now."""
    rng, referral, now = setting.rng, draft.referral, setting.now
    draw = rng.random()
    if draw < 0.08:  # declined (a third after acceptance) or withdrawn by the sender
        at = referral.sent_at + datetime.timedelta(hours=rng.uniform(1, 30))
        if at > now:
            return
        if draw < 0.05:
            if rng.random() < 0.3:
                accept(setting, draft, referral.sent_at + (at - referral.sent_at) / 2)
            referral.decline_reason = rng.choice(DECLINE_REASONS)
            draft.move(State.DECLINED, setting.triage[0], at, referral.decline_reason)
        else:
            draft.move(State.WITHDRAWN, referral.sent_by_id, at)
        return
    contact = planned_contact(setting, referral)
    if rng.random() < 0.8:
        accepted = referral.sent_at + (contact - referral.sent_at) * rng.uniform(0.05, 0.5)
        if accepted <= now:
            accept(setting, draft, accepted)
    if contact > now:
        return
    worker = referral.assignee_id or setting.triage[0]  # mark_contacted assigns the caller
    referral.assignee_id, referral.contacted_at = worker, contact
    draft.move(State.CONTACTED, worker, contact)
    done = contact + datetime.timedelta(days=rng.randint(7, 75), hours=rng.randint(0, 5))
    if done <= now and rng.random() < 0.92:
        draft.move(State.COMPLETED, worker, done)
