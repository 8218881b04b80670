"""A referral with its state changes as the demo draws it (``Draft``), what it is drawn in
(``Setting``), and how the drafts are inserted."""

import datetime
import random
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from crm.models import Operator, Theme
from referrals import calendar
from referrals.models import Referral, ReferralEvent

State = Referral.State

REASONS = {
    Theme.START_UP: "Iværksætter med vækstambitioner og en gennemarbejdet forretningsplan.",
    Theme.FINANCING: "Søger finansiering til en ny produktionslinje: lån, fonde og LAG-midler.",
    Theme.GREEN: "Vil nedbringe energiforbruget og se på cirkulære forretningsmodeller.",
    Theme.DIGITAL: "Skal vælge nyt ERP-system og automatisere ordreflowet.",
    Theme.EXPORT: "Vil ind på det tyske marked og mangler en eksportplan.",
    Theme.WORKFORCE: "Mangler faglærte medarbejdere og vil styrke rekrutteringen.",
    Theme.DESIGN: "Vil udvikle nye produkter med designtænkning.",
    Theme.MANAGEMENT: "Ejerlederen vil etablere en bestyrelse og styrke ledelsen.",
    Theme.OWNERSHIP: "Forbereder generationsskifte inden for tre år.",
    Theme.OTHER: "Ønsker sparring om vækstmuligheder.",
}


@dataclass
class Draft:
    """A referral and its state changes (from, to, by, at, note), in order."""

    referral: Referral
    events: list[tuple] = field(default_factory=list)

    def move(self, to_state: str, by: int, at: datetime.datetime, note: str = "") -> None:
        self.events.append((self.referral.state, to_state, by, at, note))
        self.referral.state = to_state


@dataclass
class Setting:
    rng: random.Random
    now: datetime.datetime
    today: datetime.date
    hub: Operator
    triage: list[int]  # the hub's triage staff (user ids), "visitator" first
    workers: list[int]  # the hub's staff who take referrals
    worker_weights: list[int]

    def moment(self, day: datetime.date) -> datetime.datetime:
        """A time in working hours on ``day``."""
        time = datetime.time(self.rng.randint(8, 15), self.rng.choice([0, 10, 20, 30, 40, 50]))
        return timezone.make_aware(datetime.datetime.combine(day, time))

    def worker(self) -> int:
        return self.rng.choices(self.workers, self.worker_weights)[0]


def pick(setting: Setting, sessions: list[dict], count: int, weight) -> list[dict]:
    """``count`` sessions of distinct subjects, drawn by ``weight`` without replacement."""
    rng = setting.rng
    keyed = sorted(
        ((rng.random() ** (1 / w), i) for i, s in enumerate(sessions) if (w := weight(s)) > 0),
        reverse=True,
    )
    chosen, subjects = [], set()
    for _, i in keyed:
        session = sessions[i]
        subject = (session["company_id"], session["founder_id"])
        if subject not in subjects:
            subjects.add(subject)
            chosen.append(session)
        if len(chosen) == count:
            break
    return chosen


def sent_at(setting: Setting, session: dict) -> datetime.datetime:
    """In working hours of a working day a day or two after the session, never in the future."""
    rng = setting.rng
    day = session["date"] + datetime.timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))
    while not calendar.is_working_day(day) and day < setting.today:
        day += datetime.timedelta(days=1)
    moment = setting.moment(min(day, setting.today))
    if moment > setting.now:  # later today than now: the day before (the session is older)
        moment = setting.moment(max(setting.today - datetime.timedelta(days=1), session["date"]))
    return moment


def new_draft(setting: Setting, session: dict, at: datetime.datetime, **fields) -> Draft:
    themes = [t for t in session["themes"] if t != Theme.OTHER][:2] or [Theme.OTHER]
    referral = Referral(
        company_id=session["company_id"],
        founder_id=session["founder_id"],
        municipality_id=session["municipality_id"],
        sender_operator_id=session["operator_id"],
        sent_by_id=session["created_by_id"],
        themes=fields.pop("themes", themes),
        sent_at=at,
        state=State.SENT,
        **fields,
    )
    reason = " ".join(REASONS[t] for t in referral.themes)
    referral.reason = (
        f"Vækstpotentiale efter screening. {reason}" if fields.get("after_screening") else reason
    )
    draft = Draft(referral)
    draft.events.append(("", State.SENT, referral.sent_by_id, at, ""))
    return draft


def insert(drafts: list[Draft]) -> int:
    """Insert the referrals and their events; returns the number of events. The events'
    times are written afterwards: ``at`` is ``auto_now_add``, which a bulk insert overwrites."""
    Referral.objects.bulk_create([d.referral for d in drafts], batch_size=2000)
    events, times = [], []
    for draft in drafts:
        for from_state, to_state, by, at, note in draft.events:
            events.append(
                ReferralEvent(
                    referral=draft.referral,
                    from_state=from_state,
                    to_state=to_state,
                    by_id=by,
                    note=note,
                )
            )
            times.append(at)
    ReferralEvent.objects.bulk_create(events, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE referrals_referralevent AS e SET at = v.at "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE e.id = v.id",
            [[e.pk for e in events], times],
        )
    return len(events)
