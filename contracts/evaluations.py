"""The national user evaluation (brugerevaluering): answers imported from CSV or XLSX (a dry
run lists every bad row; the import writes all rows or none), the referral uptake the answers
carry, and the export of the companies to be evaluated, in the same columns.

The columns are documented in README.md ("Evaluation import").
"""

import datetime
import functools
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext as _

from contracts.models import Contract, Evaluation
from contracts.tasks import compute_contract_attainment
from crm import cpr
from crm.models import Company, Consent, Founder, GuidanceSession, Municipality, Operator, Theme
from crm.services import DomainError, operators_of
from crm.spreadsheets import CONTENT_TYPES, Unreadable, choice_map, file_rows, table_file
from referrals.models import Referral
from referrals.services import do_record_uptakes

COLUMNS = [
    "operator",
    "municipality_code",
    "answered_on",
    "cvr",
    "cpr",
    "name",
    "session_id",
    "segment",
    "themes",
    "satisfaction",
    "nps",
    "effect",
    "referral_used",
]
REQUIRED = COLUMNS[:3]
DATE_FORMAT = "%d.%m.%Y"
# An answer about "the referral to external advice" names the newest referral of the same
# subject by the same operator sent up to this many days before the answer.
REFERRAL_WINDOW_DAYS = 365


SATISFACTION = choice_map(Evaluation.Satisfaction.choices, ("hverken-eller", "neutral"))
EFFECT = choice_map(Evaluation.Effect.choices)
REFERRAL_USED = choice_map(Referral.Uptake.choices)
SEGMENT = choice_map(Company.Segment.choices, ("drift", "operations"), ("vækst", "growth"))
THEME = choice_map(Theme.choices)


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Linje %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    count: int
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    uptakes: int = 0
    contract_ids: list[int] = field(default_factory=list)


class ImportRefused(DomainError):
    """Bad rows: nothing was written. ``errors`` lists every one with its line."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            _("%(count)d række(r) kan ikke indlæses, og intet er gemt. %(errors)s")
            % {"count": len(errors), "errors": " ".join(str(error) for error in errors)}
        )


# --- Reading the file ----------------------------------------------------------------------


def unreadable() -> DomainError:
    return DomainError(
        _(
            "Filen kan ikke læses: indlæs en CSV-fil (UTF-8, ; eller ,) eller en XLSX-fil med "
            "kolonnerne %(columns)s."
        )
        % {"columns": ", ".join(COLUMNS)}
    )


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """The file's answers as (line number, {column: text}); a file that is empty, neither
    CSV nor XLSX, or has missing or unknown columns is refused whole."""
    try:
        rows = file_rows(data)
    except Unreadable as error:
        raise unreadable() from error
    header = [name.strip().lower() for name in rows[0][1]]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name and name not in COLUMNS]
    if missing or unknown:
        raise DomainError(
            _("Forkerte kolonner (mangler: %(missing)s; ukendte: %(unknown)s). Brug %(columns)s.")
            % {
                "missing": ", ".join(missing) or "-",
                "unknown": ", ".join(unknown) or "-",
                "columns": ", ".join(COLUMNS),
            }
        )
    if len(rows) == 1:
        raise DomainError(_("Filen har kolonnerne, men ingen svar."))
    return [(line, dict(zip(header, row, strict=False))) for line, row in rows[1:]]


# --- Parsing the rows ----------------------------------------------------------------------

# Rows are checked this many at a time: one query each for the batch's CVR numbers, CPR
# hashes and sessions, so a national file needs a few dozen queries, not one per row.
BATCH_ROWS = 5_000


class Answer(NamedTuple):
    """One valid answer, as the ids and values staged for the insert (no model instance:
    building one costs more than writing the row)."""

    line: int
    operator_id: int
    municipality_id: int
    answered_on: datetime.date
    company_id: int | None
    founder_id: int | None
    session_id: int | None
    segment: str
    themes: list[str]
    satisfaction: str
    nps: int | None
    effect: str
    referral_used: str


def cpr_hash(text: str) -> str | None:
    try:
        return cpr.lookup_hash(cpr.clean_cpr(text))
    except ValidationError:
        return None


def is_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def is_id(text: str) -> bool:
    return is_digits(text) and len(text) <= 18  # fits a bigint


@dataclass
class Lookups:
    """Everything the rows name, within what the importing user may do: answers in
    municipalities it manages contracts for, subjects and sessions in municipalities it may
    change records in. Operators and municipalities are read once (``for_user``); companies,
    founders and sessions per batch of rows (``for_batch``), by id: a session is
    (operator id, company id, founder id)."""

    operators: dict[str, int]
    municipalities: dict[str, int]
    changeable: list[int]
    companies: dict[str, int] = field(default_factory=dict)
    founders: dict[str, int] = field(default_factory=dict)
    cpr_hashes: dict[str, str | None] = field(default_factory=dict)
    sessions: dict[int, tuple] = field(default_factory=dict)

    @classmethod
    def for_user(cls, user) -> "Lookups":
        managed = Municipality.objects.ids_for(user, "manage_contracts")
        return cls(
            operators={name.lower(): pk for pk, name in Operator.objects.values_list("pk", "name")},
            municipalities=dict(
                Municipality.objects.filter(pk__in=managed).values_list("code", "pk")
            ),
            changeable=Municipality.objects.ids_for(user, "change_records"),
        )

    def for_batch(self, rows: list[tuple[int, dict]]) -> "Lookups":
        cvrs = {row.get("cvr", "").replace(" ", "") for _line, row in rows} - {""}
        hashes = {row["cpr"]: cpr_hash(row["cpr"]) for _line, row in rows if row.get("cpr")}
        session_ids = {int(r["session_id"]) for _l, r in rows if is_id(r.get("session_id", ""))}
        in_scope = {"municipality__in": self.changeable}
        return replace(
            self,
            companies=dict(
                Company.objects.filter(cvr__in=cvrs, **in_scope).order_by().values_list("cvr", "pk")
            ),
            founders=dict(
                Founder.objects.filter(
                    cpr_hash__in=set(hashes.values()) - {None}, **in_scope
                ).values_list("cpr_hash", "pk")
            ),
            cpr_hashes=hashes,
            sessions={
                pk: rest
                for pk, *rest in GuidanceSession.objects.filter(pk__in=session_ids, **in_scope)
                .order_by()
                .values_list("pk", "operator_id", "company_id", "founder_id")
            },
        )


def parse_choice(row: dict, column: str, mapping: dict, reasons: list) -> str:
    text = row.get(column, "")
    value = mapping.get(text.lower(), "") if text else ""
    if text and not value:
        reasons.append(_("ukendt svar i %(column)s: “%(text)s”") % {"column": column, "text": text})
    return value


@functools.lru_cache(maxsize=1024)
def themes_of(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(theme values, unknown names) of a themes cell: a survey repeats a few cells."""
    texts = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    known = tuple(THEME[t.lower()] for t in texts if t.lower() in THEME)
    return known, tuple(t for t in texts if t.lower() not in THEME)


def parse_themes(row: dict, reasons: list) -> list[str]:
    known, unknown = themes_of(row.get("themes", ""))
    if unknown:
        reasons.append(_("ukendt tema “%(text)s”") % {"text": ", ".join(unknown)})
    return list(known)


@functools.lru_cache(maxsize=4096)
def date_of(text: str) -> datetime.date | None:
    """A survey's answers share a few hundred dates: ``strptime`` once each."""
    try:
        return datetime.datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        return None


def parse_date(row: dict, reasons: list) -> datetime.date | None:
    day = date_of(row.get("answered_on", ""))
    if day is None:
        reasons.append(_("datoen skal skrives dd.mm.åååå"))
    return day


def parse_nps(row: dict, reasons: list) -> int | None:
    text = row.get("nps", "")
    if text and (not is_digits(text) or int(text) > 10):
        reasons.append(_("NPS-svaret skal være et tal fra 0 til 10"))
        return None
    return int(text) if text else None


def parse_subject(row: dict, lookups: Lookups, operator_id, reasons: list) -> tuple:
    """(company id, founder id, session id) of the answer: the company by CVR, the founder
    by CPR (through the keyed hash: the number is neither stored nor repeated in a message)
    and the session."""
    cvr_text, cpr_text = row.get("cvr", "").replace(" ", ""), row.get("cpr", "")
    session_text = row.get("session_id", "")
    company_id = founder_id = session_id = None
    if cvr_text and cpr_text:
        reasons.append(_("angiv enten CVR-nummer eller CPR-nummer, ikke begge"))
    if cvr_text:
        company_id = lookups.companies.get(cvr_text)
        if company_id is None:
            reasons.append(
                _("CVR-nummeret %(cvr)s findes ikke blandt virksomhederne i dine kommuner")
                % {"cvr": cvr_text}
            )
    if cpr_text:
        founder_id = lookups.founders.get(lookups.cpr_hashes.get(cpr_text))
        if founder_id is None:
            reasons.append(_("CPR-nummeret er ugyldigt eller findes ikke i dine kommuner"))
    if session_text:
        session_id = int(session_text) if is_id(session_text) else None
        session = lookups.sessions.get(session_id)
        if session is None:
            reasons.append(
                _("vejledning %(id)s findes ikke i dine kommuner") % {"id": session_text}
            )
        else:
            company_id, founder_id = check_session(
                session, company_id, founder_id, operator_id, reasons
            )
    return company_id, founder_id, session_id


def check_session(session: tuple, company_id, founder_id, operator_id, reasons: list) -> tuple:
    """The evaluated session (operator id, company id, founder id) must be the operator's
    and about the named subject; without a CVR or CPR number the session names the subject.
    Returns the subject's (company id, founder id)."""
    session_operator, session_company, session_founder = session
    if operator_id is not None and session_operator != operator_id:
        reasons.append(_("vejledningen er registreret af en anden operatør"))
    if company_id is not None:
        about_another = company_id != session_company
    else:
        about_another = founder_id is not None and founder_id != session_founder
    if about_another:
        reasons.append(_("vejledningen gælder en anden virksomhed eller iværksætter"))
    if company_id is None and founder_id is None:
        return session_company, session_founder
    return company_id, founder_id


def parse_row(line: int, row: dict, lookups: Lookups) -> tuple[Answer | None, list[str]]:
    """One answer, or every reason the row cannot be imported."""
    reasons: list[str] = []
    operator_id = lookups.operators.get(row.get("operator", "").lower())
    if operator_id is None:
        reasons.append(_("ukendt operatør “%(name)s”") % {"name": row.get("operator", "")})
    municipality_id = lookups.municipalities.get(row.get("municipality_code", ""))
    if municipality_id is None:
        reasons.append(
            _("ukendt kommunekode “%(code)s”") % {"code": row.get("municipality_code", "")}
        )
    values = [
        parse_date(row, reasons),
        parse_choice(row, "segment", SEGMENT, reasons),
        parse_themes(row, reasons),
        parse_choice(row, "satisfaction", SATISFACTION, reasons),
        parse_nps(row, reasons),
        parse_choice(row, "effect", EFFECT, reasons),
        parse_choice(row, "referral_used", REFERRAL_USED, reasons),
    ]
    subject = parse_subject(row, lookups, operator_id, reasons)
    if reasons:
        return None, reasons
    return Answer(line, operator_id, municipality_id, values[0], *subject, *values[1:]), []


def check_rows(user, rows: list[tuple[int, dict]]) -> tuple[list[Answer], list[RowError]]:
    """Every row checked, in batches of ``BATCH_ROWS``: the valid answers and the errors."""
    lookups = Lookups.for_user(user)
    answers, errors = [], []
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        batch_lookups = lookups.for_batch(batch)
        for line, row in batch:
            answer, reasons = parse_row(line, row, batch_lookups)
            if reasons:
                errors.append(RowError(line, "; ".join(reasons)))
            else:
                answers.append(answer)
    return answers, errors


# --- Importing -----------------------------------------------------------------------------


def import_evaluations(user, data: bytes, *, source: str, dry_run: bool = False) -> ImportResult:
    """Import answers of the national user evaluation from a CSV or XLSX file.

    A dry run writes nothing and returns every bad row with its line and reasons. The real
    import writes all rows or none (``ImportRefused`` lists the bad rows): in one
    transaction the answers are copied (COPY) into a temporary staging table and inserted
    from there in one statement, and the "referral used" answers become the uptake of the
    referrals they are about (``record_evaluation_uptake``, one UPDATE). After commit, the
    goal attainment of every contract covering the answers' municipalities and dates is
    recomputed in Celery.
    """
    answers, errors = check_rows(user, read_rows(data))
    if dry_run:
        return ImportResult(len(answers), errors, dry_run=True)
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        insert_answers(answers, source=source[:100])
        uptakes = record_evaluation_uptake(user, answers)
        contract_ids = affected_contracts(answers)
        transaction.on_commit(lambda: recompute(contract_ids))
    return ImportResult(len(answers), uptakes=uptakes, contract_ids=contract_ids)


STAGING_TABLE = """
CREATE TEMPORARY TABLE evaluation_import (
    line integer, operator_id bigint, municipality_id bigint, answered_on date,
    company_id bigint, founder_id bigint, session_id bigint, segment varchar(10),
    themes varchar(12)[], satisfaction varchar(17), nps smallint, effect varchar(7),
    referral_used varchar(8)
) ON COMMIT DROP
"""
COPY_ANSWERS = f"COPY evaluation_import ({', '.join(Answer._fields)}) FROM STDIN"
STAGED = """operator_id, municipality_id, answered_on, company_id, founder_id, session_id,
    segment, themes, satisfaction, nps, effect, referral_used"""
INSERT_STAGED = f"""
INSERT INTO contracts_evaluation ({STAGED}, source, is_demo)
SELECT {STAGED}, %s, false FROM evaluation_import ORDER BY line
"""  # noqa: S608 (names from code)


def insert_answers(answers: list[Answer], *, source: str) -> None:
    """COPY the answers into a temporary table, then one INSERT ... SELECT in file order.
    Call it inside a transaction (the staging table is dropped at the end of it anyway)."""
    with connection.cursor() as cursor:
        cursor.execute(STAGING_TABLE)
        with cursor.copy(COPY_ANSWERS) as copy:
            for answer in answers:
                copy.write_row(answer)
        cursor.execute(INSERT_STAGED, [source])
        cursor.execute("DROP TABLE evaluation_import")


class Candidate(NamedTuple):
    pk: int
    company_id: int | None
    founder_id: int | None
    operator_id: int
    sent_at: datetime.datetime


def subject_key(row: Answer | Candidate) -> tuple:
    return (row.company_id, row.founder_id, row.operator_id)


def record_evaluation_uptake(user, answers: list[Answer]) -> int:
    """Record the "referral used" answers as referral uptake (seed 002, Mål 4).

    Matching rule: an answer about a company (or founder) given to operator X is about the
    newest referral of that same company (founder) **to an external adviser**, sent by X
    at most ``REFERRAL_WINDOW_DAYS`` before the answer date and not withdrawn, whose uptake
    has **not been recorded yet** (by a consultant or an earlier answer). Each referral takes
    one answer; answers are matched oldest first. The candidates are read in one query and
    matched here; the uptakes are written in one UPDATE by
    ``referrals.services.do_record_uptakes`` (source: the user evaluation), which skips a
    referral withdrawn or given an uptake in the meantime. Returns how many referrals got
    an uptake.
    """
    answers = sorted(
        (a for a in answers if a.referral_used and (a.company_id or a.founder_id)),
        key=lambda a: a.answered_on,
    )
    if not answers:
        return 0
    by_key: dict[tuple, list[Candidate]] = {}
    for candidate in uptake_candidates(answers):
        by_key.setdefault(subject_key(candidate), []).append(candidate)
    uptakes: dict[int, str] = {}
    for answer in answers:
        earliest = answer.answered_on - datetime.timedelta(days=REFERRAL_WINDOW_DAYS)
        referrals = by_key.get(subject_key(answer), [])
        match = next(
            (r for r in referrals if earliest <= r.sent_at.date() <= answer.answered_on), None
        )
        if match is not None:
            referrals.remove(match)
            uptakes[match.pk] = answer.referral_used
    return do_record_uptakes(uptakes, source=Referral.UptakeSource.EVALUATION)


def uptake_candidates(answers: list[Answer]) -> list[Candidate]:
    """The open referrals to external advisers of the answers' subjects sent in the window
    before the first to the last answer date, newest first. The subject ids go in as lists
    (``= ANY``), so the planner combines the company and founder indexes: a subquery there
    makes it filter every referral to an adviser (190 ms against 40 ms at national volume)."""
    earliest = answers[0].answered_on - datetime.timedelta(days=REFERRAL_WINDOW_DAYS)
    companies = list({a.company_id for a in answers} - {None})
    founders = list({a.founder_id for a in answers} - {None})
    referrals = (
        Referral.objects.filter(
            Q(company__in=companies) | Q(founder__in=founders),
            target_adviser__isnull=False,
            uptake="",
            sent_at__date__range=(earliest, answers[-1].answered_on),
        )
        .exclude(state=Referral.State.WITHDRAWN)
        .order_by("-sent_at", "-pk")
        .values_list("pk", "company_id", "founder_id", "sender_operator_id", "sent_at")
    )
    return [Candidate(*values) for values in referrals]


def affected_contracts(answers: list[Answer]) -> list[int]:
    """Contracts covering a municipality of the answers in a period that includes one of
    their dates (approximated by the span of the dates)."""
    first = min(a.answered_on for a in answers)
    last = max(a.answered_on for a in answers)
    return list(
        Contract.objects.filter(
            municipalities__in={a.municipality_id for a in answers},
            starts_on__lte=last,
            ends_on__gte=first,
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )


def recompute(contract_ids: list[int]) -> None:
    for contract_id in contract_ids:  # one task per contract: a contract is real work
        compute_contract_attainment.delay(contract_id)


# --- Export of the companies to be evaluated -----------------------------------------------


def companies_to_evaluate(user, contract: Contract, start: datetime.date, end: datetime.date):
    """The companies the user's operators guided (full guidance, not brief contacts) in the
    contract's municipalities in ``start``-``end``, with a consent in force given by the
    end of the period: one row each, from its newest session in the period. Founders are
    left out entirely (no CPR numbers or names leave the system this way)."""
    consented = Consent.objects.filter(company=OuterRef("company"), given_on__lte=end).in_force()
    return (
        GuidanceSession.objects.visible_to(user)
        .filter(
            company__isnull=False,
            kind=GuidanceSession.Kind.FULL,
            operator__in=operators_of(user),
            municipality__in=contract.municipalities.all(),
            date__range=(start, end),
        )
        .filter(Exists(consented))
        .order_by("company_id", "-date", "-pk")
        .distinct("company_id")
        .select_related("company", "operator", "municipality")
    )


def export_table(sessions) -> tuple[list[str], list[list]]:
    """The import's columns; the answer columns are left for the survey to fill in."""
    with translation.override(None):  # Danish, as the import reads it
        rows = [export_row(session) for session in sessions]
    return COLUMNS, rows


def export_row(session: GuidanceSession) -> list:
    company = session.company
    values = {
        "operator": session.operator.name,
        "municipality_code": session.municipality.code,
        "cvr": company.cvr,
        "name": company.name,
        "session_id": session.pk,
        "segment": company.get_segment_display() if company.segment else "",
        "themes": ", ".join(str(Theme(t).label) for t in session.themes),
    }
    return [values.get(column, "") for column in COLUMNS]


def export_file(user, contract: Contract, *, start, end, format: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of ``companies_to_evaluate`` as CSV or XLSX."""
    header, rows = export_table(companies_to_evaluate(user, contract, start, end))
    name = f"evaluering-{contract.pk}-{start:%Y%m%d}-{end:%Y%m%d}.{format}"
    content = table_file(header, rows, fmt=format, title="brugerevaluering")
    return content, CONTENT_TYPES[format], name
