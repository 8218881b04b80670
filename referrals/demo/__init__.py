"""Demo referrals for Region Midtjylland (make run, after ``seed_demo``): a year of referrals
from the local business services to Erhvervshus Midtjylland and to a small register of
external advisers, in every state, with the events, deadlines and uptake answers that the
services in ``referrals.services`` would have recorded.

Each referral follows a full local guidance session of the crm demo: the consultant who logged
it sends it a day or two later. Sharing with the hub needs the subject's consent, so where no
consent covers the hub on the day, one is recorded first (as the refusal message asks the
consultant to). A few referrals to the hub are left open around their deadline - due today or
overdue - so the demo triage user "visitator" has something urgent in the queue.

Rows are bulk-inserted and drawn from one seed. A second run finds the demo staff's referrals
and creates nothing (the adviser register is completed either way).
"""

import datetime
import random
from dataclasses import dataclass, field

import pghistory
from django.db import connection, transaction
from django.utils import timezone

from crm.demo import HUB_NAME, REGION_CODE, ascii_slug, local_service_name
from crm.models import Consent, GuidanceSession, Membership, Municipality, Operator, Theme
from referrals import calendar
from referrals.models import Adviser, Referral, ReferralEvent

State, Uptake, Kind = Referral.State, Referral.Uptake, Adviser.Kind
DEMO_STAFF_PREFIX = "demo-"  # crm.demo's generated colleagues: they only act through seeding

# fmt: off
# name, kind, contact person, themes it is chosen for, municipality codes (empty: everywhere).
ADVISERS = [
    ("Revisionshuset Midt ApS", Kind.PRIVATE, "Jette Mikkelsen", ["financing", "ownership"], []),
    ("Advokatfirmaet Bach & Holm", Kind.PRIVATE, "Søren Bach", ["ownership", "management"], []),
    ("Eksportrådgiverne ApS", Kind.PRIVATE, "Anders Kjær", ["export"], []),
    ("Digital Vækst Rådgivning", Kind.PRIVATE, "Line Damgaard", ["digital"], []),
    ("HR-Partner Midt", Kind.PRIVATE, "Pia Thomsen", ["workforce", "management"], []),
    ("Grøn Omstilling Rådgivning ApS", Kind.PRIVATE, "Mads Nørgaard", ["green"], []),
    ("Bestyrelsesnetværket Midt", Kind.PRIVATE, "Henrik Lund", ["management"], []),
    ("Teknologisk Institut", Kind.KNOWLEDGE, "Camilla Holm", ["digital", "green"], []),
    ("Aarhus Universitet, Erhvervssamarbejde", Kind.KNOWLEDGE, "Peter Friis",
     ["digital", "green", "other"], []),
    ("VIA University College", Kind.KNOWLEDGE, "Anne Krogh", ["workforce", "design"], []),
    ("Energy Cluster Denmark", Kind.CLUSTER, "Jonas Vestergaard", ["green"], []),
    ("Food & Bio Cluster Denmark", Kind.CLUSTER, "Maria Bisgaard", ["green", "export"], []),
    ("Digital Lead", Kind.CLUSTER, "Rasmus Hviid", ["digital"], []),
    ("Dansk Design Center", Kind.DESIGN, "Sofie Juhl", ["design"], []),
    ("EIFO - Danmarks Eksport- og Investeringsfond", Kind.FUNDING, "Karsten Riis",
     ["financing", "export"], []),
    ("LAG Viborg", Kind.FUNDING, "Birgitte Hald", ["financing", "start_up", "other"], ["791"]),
    ("LAG Randers", Kind.FUNDING, "Ole Pallesen", ["financing", "start_up", "other"], ["730"]),
    ("LAG Djursland", Kind.FUNDING, "Hanne Fogh", ["financing", "start_up", "other"],
     ["706", "707"]),
    ("LAG Skive", Kind.FUNDING, "Niels Borup", ["financing", "start_up", "other"], ["779"]),
    ("LAG Ringkøbing-Skjern", Kind.FUNDING, "Tina Vinther", ["financing", "start_up", "other"],
     ["760"]),
]
# Closed since: referrals to it are all older than half a year.
INACTIVE_ADVISER = ("Fjordland Rådgivning ApS", Kind.PRIVATE, "Erik Ebbesen", ["other"], [])
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
DECLINE_REASONS = [
    "Virksomheden ønsker ikke et forløb lige nu.",
    "Behovet dækkes bedre af den lokale erhvervsservice.",
    "Uden for erhvervshusets målgruppe: ingen vækstambition.",
]
# Adviser kinds by how often the local services refer to them.
KIND_WEIGHTS = {Kind.PRIVATE: 45, Kind.KNOWLEDGE: 15, Kind.CLUSTER: 10, Kind.DESIGN: 8,
                Kind.FUNDING: 22}
# Uptake answers (used, expects, not used, don't know) once the company was in touch, and not.
UPTAKES = [Uptake.USED, Uptake.EXPECTS, Uptake.NOT_USED, Uptake.UNKNOWN]
UPTAKE_IN_TOUCH, UPTAKE_NOT_IN_TOUCH = [48, 14, 24, 14], [8, 10, 62, 20]
HUB_CLOSING, ADVISER_CLOSING = "Henvist til Erhvervshus Midtjylland", "ekstern rådgiver formidlet"
# fmt: on


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


def seed_advisers() -> list[Adviser]:
    """The shared adviser register (created or completed; never changed)."""
    advisers = []
    for name, kind, contact, _themes, _codes in [*ADVISERS, INACTIVE_ADVISER]:
        adviser, _ = Adviser.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "contact": contact,
                "email": f"{ascii_slug(contact)}@{ascii_slug(name)[:24]}.demo.knudepunkt.dk",
                "active": name != INACTIVE_ADVISER[0],
            },
        )
        advisers.append(adviser)
    return advisers


@transaction.atomic
def seed_referrals(*, rng_seed: int = 1082, hub: int = 650, advisers: int = 500) -> dict:
    """About ``hub`` referrals to Erhvervshus Midtjylland and ``advisers`` to external advisers
    over the last year, unless the demo's referrals exist. Returns how many rows of each kind
    were created (empty when skipped or when the crm demo is missing)."""
    register = seed_advisers()
    local = Operator.objects.filter(
        name__in=[
            local_service_name(m) for m in Municipality.objects.filter(region__code=REGION_CODE)
        ]
    )
    already = Referral.objects.filter(
        sender_operator__in=local, sent_by__username__startswith=DEMO_STAFF_PREFIX
    )
    setting = build_setting(random.Random(rng_seed))
    sessions = local_sessions(local, setting.today) if setting else []
    if already.exists() or not sessions:
        return {}
    with pghistory.context(source="seed_referrals"):
        drafts = hub_drafts(setting, sessions, hub) + adviser_drafts(
            setting, sessions, advisers, register
        )
        consents = seed_hub_consents(setting, [d for d in drafts if d.referral.target_operator_id])
        events = insert(drafts)
    return {"referrals": len(drafts), "events": events, "consents": consents}


def build_setting(rng: random.Random) -> Setting | None:
    hub = Operator.objects.get(name=HUB_NAME)
    staff = list(
        Membership.objects.filter(operator=hub, user__is_active=True)
        .order_by("user__username")
        .values_list("user_id", "user__username", "role")
    )
    names = {uid: name for uid, name, _ in staff}
    triage = [uid for uid, _, role in staff if role == Membership.Role.TRIAGE]
    triage.sort(key=lambda uid: names[uid] != "visitator")  # she takes the demo's calls
    workers = list(names)
    if not triage:
        return None
    now = timezone.now()
    return Setting(
        rng=rng,
        now=now,
        today=timezone.localdate(now),
        hub=hub,
        triage=triage,
        workers=workers,
        worker_weights=[40 if names[uid] == "hubkonsulent" else 20 for uid in workers],
    )


def local_sessions(local, today: datetime.date) -> list[dict]:
    """The full local guidance sessions of the crm demo before today, oldest first."""
    return list(
        GuidanceSession.objects.filter(
            operator__in=local, kind=GuidanceSession.Kind.FULL, date__lt=today
        )
        .order_by("date", "pk")
        .values(
            "company_id",
            "founder_id",
            "municipality_id",
            "municipality__code",
            "operator_id",
            "created_by_id",
            "date",
            "themes",
            "screening_done",
            "content",
            "company__growth_potential",
        )
    )


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


# --- To the hub ------------------------------------------------------------------------------


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


# --- To external advisers --------------------------------------------------------------------


def adviser_weight(session: dict) -> float:
    weight = 1.0 if session["company_id"] else 0.5
    return weight * (6 if ADVISER_CLOSING in session["content"] else 1)


def adviser_for(setting: Setting, session: dict, at, register: dict) -> tuple[Adviser, list]:
    """An adviser of ``register`` (name -> adviser), of a likely kind, that fits the session's
    themes and municipality."""
    rng, code = setting.rng, session["municipality__code"]
    recent = at > setting.now - datetime.timedelta(days=182)
    specs = [
        spec
        for spec in [*ADVISERS, *([] if recent else [INACTIVE_ADVISER])]
        if spec[0] in register and (not spec[4] or code in spec[4])
    ]
    fitting = [s for s in specs if set(s[3]) & set(session["themes"])] or specs
    kinds = [s[1] for s in fitting]
    spec = rng.choices(fitting, [KIND_WEIGHTS[k] / kinds.count(k) for k in kinds])[0]
    themes = [t for t in session["themes"] if t in spec[3]] or spec[3][:1]
    return register[spec[0]], themes


def adviser_drafts(setting: Setting, sessions, count: int, advisers: list[Adviser]) -> list:
    register = {a.name: a for a in advisers}
    drafts = []
    for session in pick(setting, sessions, count, adviser_weight):
        at = sent_at(setting, session)
        adviser, themes = adviser_for(setting, session, at, register)
        draft = new_draft(setting, session, at, target_adviser_id=adviser.pk, themes=themes)
        adviser_story(setting, draft)
        drafts.append(draft)
    return drafts


def adviser_story(setting: Setting, draft: Draft) -> None:
    """The sender follows up: contacted, completed, or withdrawn; and, after a month, about
    three in five have an uptake answer (from the consultant or the national evaluation)."""
    rng, referral, now = setting.rng, draft.referral, setting.now
    sender = referral.sent_by_id
    if rng.random() < 0.05:
        at = referral.sent_at + datetime.timedelta(days=rng.randint(1, 5))
        if at <= now:
            draft.move(State.WITHDRAWN, sender, at)
            return
    contact = setting.moment(
        (referral.sent_at + datetime.timedelta(days=rng.randint(1, 14))).date()
    )
    if contact <= now and rng.random() < 0.85:
        referral.contacted_at = contact
        draft.move(State.CONTACTED, sender, contact)
    done = contact + datetime.timedelta(days=rng.randint(14, 90))
    if done <= now and rng.random() < 0.8:
        draft.move(State.COMPLETED, sender, done)
    record_uptake(setting, draft)


def record_uptake(setting: Setting, draft: Draft) -> None:
    rng, referral = setting.rng, draft.referral
    if referral.sent_at > setting.now - datetime.timedelta(days=30) or rng.random() > 0.6:
        return
    weights = UPTAKE_NOT_IN_TOUCH if referral.state == State.SENT else UPTAKE_IN_TOUCH
    referral.uptake = rng.choices(UPTAKES, weights)[0]
    evaluation = rng.random() < 0.3
    referral.uptake_source = (
        Referral.UptakeSource.EVALUATION if evaluation else Referral.UptakeSource.CONSULTANT
    )
    recorded = referral.sent_at + datetime.timedelta(days=rng.randint(30, 150))
    referral.uptake_recorded_at = min(recorded, setting.now - datetime.timedelta(hours=1))


# --- Consent and insert ----------------------------------------------------------------------


def covers(consent: dict, operator_id: int, day: datetime.date) -> bool:
    return (
        consent["given_on"] <= day
        and (consent["withdrawn_on"] is None or consent["withdrawn_on"] > day)
        and (consent["scope"] == Consent.Scope.ALL or operator_id in consent["operators"])
    )


def existing_consents(drafts: list[Draft]) -> dict[tuple, list[dict]]:
    """(company id, founder id) -> that subject's consents with their named operators."""
    companies = [d.referral.company_id for d in drafts if d.referral.company_id]
    founders = [d.referral.founder_id for d in drafts if d.referral.founder_id]
    rows = Consent.objects.filter(company_id__in=companies) | Consent.objects.filter(
        founder_id__in=founders
    )
    named = {}
    through = Consent.operators.through.objects.filter(consent__in=rows)
    for consent_id, operator_id in through.values_list("consent_id", "operator_id"):
        named.setdefault(consent_id, set()).add(operator_id)
    found: dict[tuple, list[dict]] = {}
    for row in rows.values("pk", "company_id", "founder_id", "given_on", "withdrawn_on", "scope"):
        row["operators"] = named.get(row["pk"], set())
        found.setdefault((row["company_id"], row["founder_id"]), []).append(row)
    return found


def seed_hub_consents(setting: Setting, drafts: list[Draft]) -> int:
    """A consent on the sending day wherever none covered the hub: to all operators (mostly)
    or named to the local service and the hub."""
    found = existing_consents(drafts)
    consents, named = [], []
    for draft in drafts:
        referral = draft.referral
        day = timezone.localdate(referral.sent_at)
        subject = (referral.company_id, referral.founder_id)
        if any(covers(c, setting.hub.pk, day) for c in found.get(subject, [])):
            continue
        scope = Consent.Scope.ALL if setting.rng.random() < 0.6 else Consent.Scope.NAMED
        consent = Consent(
            company_id=referral.company_id,
            founder_id=referral.founder_id,
            given_on=day,
            scope=scope,
            recorded_by_id=referral.sent_by_id,
        )
        consents.append(consent)
        if scope == Consent.Scope.NAMED:
            named += [(consent, referral.sender_operator_id), (consent, setting.hub.pk)]
    Consent.objects.bulk_create(consents, batch_size=2000)
    through = Consent.operators.through
    through.objects.bulk_create(
        [through(consent=c, operator_id=o) for c, o in named], batch_size=2000
    )
    return len(consents)


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
