"""The half-year report of an EU programme (seed 004, ``Contract.report_shape`` "eu") and the
participant list of its payment requests.

Seed 004 reports each indicator for the half-year and since the start, with its breakdowns
("varav kvinnor / unga (18-30 år) / utlandsfödda") as counts, and attaches a list of the
participants to each payment request. Sex, age band and birthplace are purpose-bound: the
list holds them, by name, only for users who see the participants' records (consultants,
managers, triage of the organising operators, ``EventParticipant.objects.visible_to``); a
viewer gets the counts only.
"""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from contracts.indicators import Period, compute, guided_in, participants_in
from contracts.models import Contract
from crm.consents import do_log_consent_reads
from crm.models import ConsentAccess, EventParticipant, GuidanceSession
from crm.permissions import ROLE_PERMISSIONS
from reporting.models import ExportLog

GROUPS = ("women", "young", "foreign_born")


@dataclass(frozen=True)
class Line:
    number: str
    title: str
    target: object
    half_year: object
    to_date: object
    breakdown: bool


def eu_lines(contract: Contract, start: datetime.date, end: datetime.date) -> list[Line]:
    """Every computed goal of the programme for the half-year ``start``-``end`` and from the
    programme's start until ``end``, a breakdown ("1a" women of "1") marked as such. One
    grouped query per goal and period."""
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    lines = []
    for goal in contract.goals.prefetch_related("contract__parties").order_by("pk"):
        if not goal.is_computed:
            continue
        operators = [op.pk for op in goal.measured_operators()]

        def value(period, goal=goal, operators=operators):
            result = compute(
                goal.indicator,
                period,
                municipality_ids,
                operators,
                goal.params,
                hourly_rate=contract.hourly_rate,
            )
            return result.total.value

        lines.append(
            Line(
                goal.number,
                goal.title,
                goal.target,
                value(Period(start, end)),
                value(Period(contract.starts_on, end)),
                bool(goal.params.get("breakdown")),
            )
        )
    return lines


def sees_breakdowns(user) -> bool:
    """Whether ``user`` holds a role that sees participants' records (not a viewer)."""
    roles = set(user.memberships.values_list("role", flat=True))
    return any("view_records" in ROLE_PERMISSIONS[role] for role in roles)


def participants_of(contract: Contract, start, end):
    """The participants marked present at the parties' events in the programme's
    municipalities in ``start``-``end``: the rows every list and count starts from."""
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    parties = list(contract.parties.values_list("pk", flat=True))
    return participants_in(Period(start, end), municipality_ids, parties)


def age_band(birth_date: datetime.date, day: datetime.date) -> str:
    years = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    if years < 18:
        return EventParticipant.AgeBand.UNDER_18
    if years <= 30:
        return EventParticipant.AgeBand.YOUNG
    return EventParticipant.AgeBand.MIDDLE if years < 65 else EventParticipant.AgeBand.SENIOR


def yes_no(value) -> str:
    return {True: _("ja"), False: _("nej"), None: ""}[value]


def founder_breakdown(founder, day: datetime.date) -> tuple[str, str, str]:
    """A founder's sex and age band (on ``day``) from the CPR number, born abroad as given."""
    band = EventParticipant.AgeBand(age_band(founder.birth_date, day))
    return founder.get_sex_display(), str(band.label), yes_no(founder.born_abroad)


def breakdown_of(row: EventParticipant) -> tuple[str, str, str]:
    """Sex, age band and born abroad as words: a founder's from its record (age on the
    event's day), a person's as given, a company's none."""
    if row.founder_id:
        return founder_breakdown(row.founder, row.event.date)
    if row.company_id:
        return "", "", ""
    return row.get_sex_display(), row.get_age_band_display(), yes_no(row.born_abroad)


def guided_lines(user, contract: Contract, start, end) -> tuple[list[list], list]:
    """The companies and founders the parties guided in ``start``-``end`` ("företag som får
    stöd", the persons met), once each on the day of their first guidance, as far as the
    user sees their sessions; and the sessions read."""
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    parties = list(contract.parties.values_list("pk", flat=True))
    guided = guided_in(Period(start, end), municipality_ids, parties)
    sessions = list(
        GuidanceSession.objects.visible_to(user)
        .filter(pk__in=guided.values("pk"))
        .select_related("company", "founder", "municipality")
        .order_by("date", "pk")
    )
    first = {}
    for session in sessions:
        first.setdefault((session.company_id, session.founder_id), session)
    lines = [
        [
            session.date,
            _("Vejledning"),
            session.subject.name,
            _("Virksomhed (CVR)") if session.company_id else _("Iværksætter (CPR)"),
            session.company.cvr if session.company_id else "",
            session.municipality.name,
            *(
                ("", "", "")
                if session.company_id
                else founder_breakdown(session.founder, session.date)
            ),
        ]
        for session in first.values()
    ]
    return lines, sessions


def participant_list(user, contract: Contract, start, end) -> tuple[list[str], list[list]]:
    """The payment request's participant list for ``user``: the companies and founders the
    parties guided and the participants of their events, as far as the user sees them, with
    sex, age band and born abroad; for a viewer, the counts only (how many took part in
    events, how many women, young, foreign-born). The list is logged as a person export."""
    rows = participants_of(contract, start, end)
    if not sees_breakdowns(user):
        return counts_table(contract, start, end)
    visible = (
        EventParticipant.objects.visible_to(user)
        .filter(pk__in=rows.values("pk"))
        .select_related("event", "company", "founder", "municipality")
        .order_by("event__date", "event__pk", "pk")
    )
    header = [
        _("Dato"),
        _("Aktivitet"),
        _("Deltager"),
        _("Art"),
        _("CVR-nummer"),
        _("Kommune"),
        _("Køn"),
        _("Aldersgruppe"),
        _("Født i udlandet"),
    ]
    lines, sessions = guided_lines(user, contract, start, end)
    lines += [
        [
            row.event.date,
            row.event.title,
            str(row),
            str(row.get_kind_display()),
            row.company.cvr if row.company_id else "",
            row.municipality.name,
            *breakdown_of(row),
        ]
        for row in visible
    ]
    ExportLog.objects.create(user=user, kind=f"payment_participants:{contract.pk}", rows=len(lines))
    reads = {ConsentAccess.Record.EVENT: visible, ConsentAccess.Record.SESSION: sessions}
    do_log_consent_reads(user, reads, source=f"export:payment_participants:{contract.pk}")
    return header, lines


def counts_table(contract: Contract, start, end) -> tuple[list[str], list[list]]:
    """How many took part, and of them women, young (18-30) and foreign-born: the counts a
    viewer sees (``event_participants`` with each breakdown)."""
    header = [_("Deltagere"), _("Antal")]
    labels = {
        None: _("Deltagere i alt"),
        "women": _("heraf kvinder"),
        "young": _("heraf unge (18-30 år)"),
        "foreign_born": _("heraf født i udlandet"),
    }
    return header, [
        [labels[group], count] for group, count in breakdown_counts(contract, start, end)
    ]


def breakdown_counts(contract: Contract, start, end) -> list[tuple]:
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    parties = list(contract.parties.values_list("pk", flat=True))
    period = Period(start, end)
    result = []
    for group in (None, *GROUPS):
        params = {"breakdown": group} if group else {}
        total = compute("event_participants", period, municipality_ids, parties, params).total
        result.append((group, int(total.value)))
    return result


def eu_context(contract: Contract, user, start, end) -> dict:
    """What the EU half-year report adds: the indicator lines, the participant counts and
    the participant list as the requester may see it."""
    header, rows = participant_list(user, contract, start, end)
    return {
        "eu_lines": eu_lines(contract, start, end),
        "participant_counts": counts_table(contract, start, end)[1],
        "participant_header": header,
        "participant_rows": rows if sees_breakdowns(user) else [],
    }
