"""The national user evaluation (brugerevaluering): answers imported from CSV or XLSX (a dry
run lists every bad row; the import writes all rows or none), the referral uptake the answers
carry, and the export of the companies to be evaluated, in the same columns.

The columns are documented in README.md ("Evaluation import").
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext as _

from contracts.models import Contract, Evaluation
from contracts.tasks import compute_contract_attainment
from crm import cpr
from crm.models import Company, Consent, Founder, GuidanceSession, Municipality, Operator, Theme
from crm.services import DomainError, operators_of
from crm.spreadsheets import CONTENT_TYPES, table_file
from referrals.models import Referral
from referrals.services import record_uptake

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


def choice_map(choices, *aliases: tuple[str, str]) -> dict[str, str]:
    """Answer text (as the survey writes it, any case) or stored value -> stored value.
    The survey writes Danish: the labels' source text, whatever language is active."""
    with translation.override(None):
        mapping = {str(label).lower(): value for value, label in choices}
    mapping.update({value: value for value, _label in choices})
    mapping.update(aliases)
    return mapping


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


def cell_text(value) -> str:
    """An XLSX cell as the CSV would write it (dates dd.mm.yyyy, whole numbers as digits)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def unreadable() -> DomainError:
    return DomainError(
        _(
            "Filen kan ikke læses: indlæs en CSV-fil (UTF-8, ; eller ,) eller en XLSX-fil med "
            "kolonnerne %(columns)s."
        )
        % {"columns": ", ".join(COLUMNS)}
    )


def xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = [
            [cell_text(v) for v in row]
            for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise unreadable() from error
    return [(line, row) for line, row in enumerate(rows, start=1)]


def csv_rows(data: bytes) -> list[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise unreadable() from error
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if ";" in first else ",")
    try:
        return [(reader.line_num, [cell.strip() for cell in row]) for row in reader]
    except csv.Error as error:
        raise unreadable() from error


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """The file's answers as (line number, {column: text}); a file that is empty, neither
    CSV nor XLSX, or has missing or unknown columns is refused whole."""
    if not data.strip():
        raise DomainError(_("Filen er tom."))
    rows = xlsx_rows(data) if data[:4] == b"PK\x03\x04" else csv_rows(data)
    rows = [(line, row) for line, row in rows if any(row)]
    if not rows:
        raise DomainError(_("Filen er tom."))
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
    """Everything the rows name, fetched once for the whole file within what the importing
    user may do: answers in municipalities it manages contracts for, subjects and sessions
    in municipalities it may change records in."""

    operators: dict
    municipalities: dict
    companies: dict
    founders: dict
    sessions: dict

    @classmethod
    def for_rows(cls, user, rows: list[tuple[int, dict]]) -> "Lookups":
        changeable = Municipality.objects.for_user(user, "change_records")
        cvrs = {row.get("cvr", "").replace(" ", "") for _line, row in rows} - {""}
        hashes = {cpr_hash(row["cpr"]) for _line, row in rows if row.get("cpr")} - {None}
        session_ids = {int(r["session_id"]) for _l, r in rows if is_id(r.get("session_id", ""))}
        return cls(
            operators={op.name.lower(): op for op in Operator.objects.all()},
            municipalities={
                m.code: m for m in Municipality.objects.for_user(user, "manage_contracts")
            },
            companies={
                c.cvr: c for c in Company.objects.filter(cvr__in=cvrs, municipality__in=changeable)
            },
            founders={
                f.cpr_hash: f
                for f in Founder.objects.filter(cpr_hash__in=hashes, municipality__in=changeable)
            },
            sessions=GuidanceSession.objects.filter(pk__in=session_ids, municipality__in=changeable)
            .select_related("company", "founder")
            .in_bulk(),
        )


def parse_choice(row: dict, column: str, mapping: dict, reasons: list) -> str:
    text = row.get(column, "")
    value = mapping.get(text.lower(), "") if text else ""
    if text and not value:
        reasons.append(_("ukendt svar i %(column)s: “%(text)s”") % {"column": column, "text": text})
    return value


def parse_themes(row: dict, reasons: list) -> list[str]:
    texts = [t.strip() for t in row.get("themes", "").replace(";", ",").split(",") if t.strip()]
    unknown = [t for t in texts if t.lower() not in THEME]
    if unknown:
        reasons.append(_("ukendt tema “%(text)s”") % {"text": ", ".join(unknown)})
    return [THEME[t.lower()] for t in texts if t.lower() in THEME]


def parse_date(row: dict, reasons: list) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(row.get("answered_on", ""), DATE_FORMAT).date()
    except ValueError:
        reasons.append(_("datoen skal skrives dd.mm.åååå"))
        return None


def parse_nps(row: dict, reasons: list) -> int | None:
    text = row.get("nps", "")
    if text and (not is_digits(text) or int(text) > 10):
        reasons.append(_("NPS-svaret skal være et tal fra 0 til 10"))
        return None
    return int(text) if text else None


def parse_subject(row: dict, lookups: Lookups, operator, reasons: list) -> dict:
    """The company (by CVR), founder (by CPR, through the keyed hash: the number is neither
    stored nor repeated in a message) and session the answer is about."""
    cvr_text, cpr_text = row.get("cvr", "").replace(" ", ""), row.get("cpr", "")
    session_text = row.get("session_id", "")
    subject = {"company": None, "founder": None, "session": None}
    if cvr_text and cpr_text:
        reasons.append(_("angiv enten CVR-nummer eller CPR-nummer, ikke begge"))
    if cvr_text:
        subject["company"] = lookups.companies.get(cvr_text)
        if subject["company"] is None:
            reasons.append(
                _("CVR-nummeret %(cvr)s findes ikke blandt virksomhederne i dine kommuner")
                % {"cvr": cvr_text}
            )
    if cpr_text:
        subject["founder"] = lookups.founders.get(cpr_hash(cpr_text))
        if subject["founder"] is None:
            reasons.append(_("CPR-nummeret er ugyldigt eller findes ikke i dine kommuner"))
    if session_text:
        session = lookups.sessions.get(int(session_text)) if is_id(session_text) else None
        if session is None:
            reasons.append(
                _("vejledning %(id)s findes ikke i dine kommuner") % {"id": session_text}
            )
        else:
            check_session(session, subject, operator, reasons)
    return subject


def is_about_another(session: GuidanceSession, company, founder) -> bool:
    """By ids, so no query: a session is about either a company or a founder."""
    if company is not None:
        return company.pk != session.company_id
    return founder is not None and founder.pk != session.founder_id


def check_session(session: GuidanceSession, subject: dict, operator, reasons: list) -> None:
    """The evaluated session must be the operator's and about the named subject; without a
    CVR or CPR number the session names the subject."""
    if operator is not None and session.operator_id != operator.pk:
        reasons.append(_("vejledningen er registreret af en anden operatør"))
    named = subject["company"] or subject["founder"]
    if is_about_another(session, subject["company"], subject["founder"]):
        reasons.append(_("vejledningen gælder en anden virksomhed eller iværksætter"))
    subject["session"] = session
    if named is None:
        subject["company"], subject["founder"] = session.company, session.founder


def parse_row(row: dict, lookups: Lookups) -> tuple[Evaluation | None, list[str]]:
    """One answer as an (unsaved) Evaluation, or every reason the row cannot be imported."""
    reasons: list[str] = []
    operator = lookups.operators.get(row.get("operator", "").lower())
    if operator is None:
        reasons.append(_("ukendt operatør “%(name)s”") % {"name": row.get("operator", "")})
    municipality = lookups.municipalities.get(row.get("municipality_code", ""))
    if municipality is None:
        reasons.append(
            _("ukendt kommunekode “%(code)s”") % {"code": row.get("municipality_code", "")}
        )
    answer = Evaluation(
        operator=operator,
        municipality=municipality,
        answered_on=parse_date(row, reasons),
        segment=parse_choice(row, "segment", SEGMENT, reasons),
        themes=parse_themes(row, reasons),
        satisfaction=parse_choice(row, "satisfaction", SATISFACTION, reasons),
        nps=parse_nps(row, reasons),
        effect=parse_choice(row, "effect", EFFECT, reasons),
        referral_used=parse_choice(row, "referral_used", REFERRAL_USED, reasons),
        **parse_subject(row, lookups, operator, reasons),
    )
    return (None, reasons) if reasons else (answer, [])


# --- Importing -----------------------------------------------------------------------------


def import_evaluations(user, data: bytes, *, source: str, dry_run: bool = False) -> ImportResult:
    """Import answers of the national user evaluation from a CSV or XLSX file.

    A dry run writes nothing and returns every bad row with its line and reasons. The real
    import writes all rows or none (``ImportRefused`` lists the bad rows); in the same
    transaction the "referral used" answers become the uptake of the referrals they are
    about (``record_evaluation_uptake``). After commit, the goal attainment of every
    contract covering the answers' municipalities and dates is recomputed in Celery.
    """
    rows = read_rows(data)
    lookups = Lookups.for_rows(user, rows)
    answers, errors = [], []
    for line, row in rows:
        answer, reasons = parse_row(row, lookups)
        if reasons:
            errors.append(RowError(line, "; ".join(reasons)))
        else:
            answers.append(answer)
    if dry_run:
        return ImportResult(len(answers), errors, dry_run=True)
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        for answer in answers:
            answer.source = source[:100]
        Evaluation.objects.bulk_create(answers)
        uptakes = record_evaluation_uptake(user, answers)
        contract_ids = affected_contracts(answers)
        transaction.on_commit(lambda: recompute(contract_ids))
    return ImportResult(len(answers), uptakes=uptakes, contract_ids=contract_ids)


def subject_key(row) -> tuple:
    return (
        row.company_id,
        row.founder_id,
        row.operator_id if isinstance(row, Evaluation) else row.sender_operator_id,
    )


def record_evaluation_uptake(user, answers: list[Evaluation]) -> int:
    """Record the "referral used" answers as referral uptake (seed 002, Mål 4).

    Matching rule: an answer about a company (or founder) given to operator X is about the
    newest referral of that same company (founder) **to an external adviser**, sent by X
    at most ``REFERRAL_WINDOW_DAYS`` before the answer date and not withdrawn, whose uptake
    has **not been recorded yet** (by a consultant or an earlier answer). Each referral takes
    one answer; answers are matched oldest first. The uptake itself is written by
    ``referrals.services.record_uptake`` (source: the user evaluation). Returns how many
    referrals got an uptake.
    """
    answers = sorted(
        (a for a in answers if a.referral_used and (a.company_id or a.founder_id)),
        key=lambda a: a.answered_on,
    )
    if not answers:
        return 0
    earliest = answers[0].answered_on - datetime.timedelta(days=REFERRAL_WINDOW_DAYS)
    candidates = (
        Referral.objects.filter(
            Q(company__in={a.company_id for a in answers} - {None})
            | Q(founder__in={a.founder_id for a in answers} - {None}),
            target_adviser__isnull=False,
            uptake="",
            sent_at__date__range=(earliest, answers[-1].answered_on),
        )
        .exclude(state=Referral.State.WITHDRAWN)
        .order_by("-sent_at", "-pk")
    )
    by_key: dict[tuple, list[Referral]] = {}
    for referral in candidates:
        by_key.setdefault(subject_key(referral), []).append(referral)
    recorded = 0
    for answer in answers:
        window = (
            answer.answered_on - datetime.timedelta(days=REFERRAL_WINDOW_DAYS),
            answer.answered_on,
        )
        referrals = by_key.get(subject_key(answer), [])
        match = next((r for r in referrals if window[0] <= r.sent_at.date() <= window[1]), None)
        if match is None:
            continue
        referrals.remove(match)
        record_uptake(
            user, match, uptake=answer.referral_used, source=Referral.UptakeSource.EVALUATION
        )
        recorded += 1
    return recorded


def affected_contracts(answers: list[Evaluation]) -> list[int]:
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
