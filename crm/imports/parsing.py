"""Reading a row of the file through the mapping: every value parsed and checked, CPR
numbers encrypted and hashed at once, the problems kept with their column (``Row``), the good
rows ready for the staging table (``Staged``)."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import cpr
from crm.imports.access import import_municipality_ids
from crm.models import (
    Company,
    Consent,
    Founder,
    GuidanceSession,
    ImportBatch,
    Municipality,
    Operator,
    Theme,
)
from crm.spreadsheets import choice_map

TIERS = choice_map(GuidanceSession.Tier.choices)
CHANNELS = choice_map(
    GuidanceSession.Channel.choices,
    ("besøg", "visit"),
    ("møde", "visit"),
    ("e-mail", "email"),
    ("mail", "email"),
    ("web", "email"),
    ("tlf", "phone"),
)
KINDS = choice_map(GuidanceSession.Kind.choices, ("kort", "brief"))
THEMES = choice_map(Theme.choices)
SCOPES = choice_map(Consent.Scope.choices, ("alle", "all"), ("navngivne", "named"))
METHODS = choice_map(Consent.Method.choices, ("blanket", "form"), ("møde", "meeting"))
DATE_FORMATS = ("%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y")


class RowProblem(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass
class Row:
    """One line of the file, read through the mapping."""

    line: int
    cells: dict[str, str]  # column -> text
    mapping: dict[str, str]
    problems: list[tuple[str, str]] = field(default_factory=list)

    def text(self, name: str) -> str:
        column = self.mapping.get(name)
        return self.cells.get(column, "").strip() if column else ""

    def refuse(self, name: str, reason: str) -> None:
        self.problems.append((self.mapping.get(name, name), reason))

    def value(self, name: str, parse: Callable[[str], object], reason: str):
        text = self.text(name)
        if not text:
            return None
        try:
            return parse(text)
        except (ValueError, KeyError, ValidationError, ArithmeticError):
            self.refuse(name, reason)
            return None

    def need(self, name: str, value):
        given = any(column == self.mapping.get(name) for column, _r in self.problems)
        if value in (None, "", []) and not given:
            self.refuse(name, _("skal udfyldes"))
        return value


def parse_date(text: str) -> str:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


def parse_hours(text: str) -> float:
    hours = float(text.replace(",", "."))
    if not 0 <= hours <= 100:
        raise ValueError(text)
    return hours


def parse_count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise ValueError(text)
    return int(text)


def parse_themes(text: str) -> list[str]:
    return [THEMES[t.strip().lower()] for t in re.split("[,;]", text) if t.strip()]


def chosen(mapping: dict[str, str]) -> Callable[[str], str]:
    return lambda text: mapping[text.lower()]


def masked_cells(row: Row) -> dict[str, str]:
    """The row as the error file shows it: a CPR number as DDMMYY-xxxx, never in full."""
    cells = dict(row.cells)
    column = row.mapping.get("cpr")
    if column and cells.get(column):
        try:
            cells[column] = cpr.mask(cpr.birth_date(cpr.clean_cpr(cells[column])))
        except (ValidationError, ValueError):
            cells[column] = "xxxxxx-xxxx"
    return cells


@dataclass
class Staged:
    """A checked row for the staging table."""

    line: int
    data: dict
    target_id: int | None = None
    action: str = "create"
    cpr_encrypted: bytes | None = None
    cpr_hash: str = ""


@dataclass
class Context:
    """Everything the rows name, read once for the whole file."""

    batch: ImportBatch
    allowed: set[int]
    municipalities: dict[str, int]
    companies: dict[str, tuple[int, int]]  # cvr -> (id, municipality id)
    founders: dict[str, tuple[int, int]]  # cpr hash -> (id, municipality id)
    p_numbers: dict[str, str]  # p-number -> cvr
    operators: dict[str, int]
    seen: dict[tuple, int] = field(default_factory=dict)  # key -> first line
    now: str = field(default_factory=lambda: timezone.now().isoformat())

    @classmethod
    def read(cls, batch: ImportBatch, rows: list[Row]) -> "Context":
        cvrs = {row.text("cvr").replace(" ", "") for row in rows} - {""}
        hashes = {hash_of(row.text("cpr")) for row in rows if row.text("cpr")} - {None}
        pnrs = {row.text("p_number") for row in rows} - {""}
        municipalities = {}
        for pk, code, name in Municipality.objects.values_list("pk", "code", "name"):
            municipalities[code] = municipalities[name.lower()] = pk
        return cls(
            batch=batch,
            allowed=import_municipality_ids(batch.created_by),
            municipalities=municipalities,
            companies={
                c: (pk, m)
                for c, pk, m in Company.objects.filter(cvr__in=cvrs).values_list(
                    "cvr", "pk", "municipality"
                )
            },
            founders={
                h: (pk, m)
                for h, pk, m in Founder.objects.filter(cpr_hash__in=hashes).values_list(
                    "cpr_hash", "pk", "municipality"
                )
            },
            p_numbers=dict(
                Company.objects.filter(p_number__in=pnrs).values_list("p_number", "cvr")
            ),
            operators={name.lower(): pk for pk, name in Operator.objects.values_list("pk", "name")},
        )

    def once(self, row: Row, column: str, key: tuple) -> None:
        """A second row for the same record is refused: a file creates nothing twice."""
        first = self.seen.setdefault(key, row.line)
        if first != row.line:
            row.refuse(column, _("samme post som linje %(line)d") % {"line": first})

    def check_municipality(self, row: Row, column: str, municipality_id) -> None:
        if municipality_id is not None and municipality_id not in self.allowed:
            row.refuse(column, _("du kan ikke indlæse i denne kommune"))


def hash_of(text: str) -> str | None:
    try:
        return cpr.lookup_hash(cpr.clean_cpr(text))
    except ValidationError:
        return None


def parse_cvr(row: Row, ctx: Context, *, required: bool = False) -> str:
    text = row.text("cvr").replace(" ", "")
    if text and not (len(text) == 8 and text.isascii() and text.isdigit()):
        row.refuse("cvr", _("et CVR-nummer har 8 cifre"))
        return ""
    if required:
        row.need("cvr", text)
    return text


def existing_subject(row: Row, ctx: Context) -> dict:
    """The company (CVR) or founder (CPR) a session, referral or consent is about; it must
    exist already and be in a municipality the user may import in."""
    cvr_text, cpr_text = parse_cvr(row, ctx), row.text("cpr")
    if bool(cvr_text) == bool(cpr_text):
        row.refuse("cvr", _("angiv enten CVR-nummer eller CPR-nummer"))
        return {}
    if cvr_text:
        found, column = ctx.companies.get(cvr_text), "cvr"
        reason = _("ingen virksomhed med CVR-nummeret %(cvr)s") % {"cvr": cvr_text}
    else:
        found, column = ctx.founders.get(hash_of(cpr_text)), "cpr"
        reason = _("CPR-nummeret er ugyldigt eller ikke registreret")
    if found is None:
        row.refuse(column, reason)
        return {}
    ctx.check_municipality(row, column, found[1])
    subject = "company_id" if column == "cvr" else "founder_id"
    other = "founder_id" if column == "cvr" else "company_id"
    return {subject: found[0], other: None, "municipality_id": found[1]}


def parse_municipality(row: Row, ctx: Context):
    text = row.text("municipality")
    if not text:
        return None
    found = ctx.municipalities.get(text.lower()) or ctx.municipalities.get(text.lstrip("0"))
    if found is None:
        row.refuse("municipality", _("ukendt kommune “%(text)s”") % {"text": text})
    return found


def text_fields(row: Row, names: list[str], limits: dict[str, int]) -> dict:
    values = {}
    for name in names:
        text = row.text(name)
        if len(text) > limits.get(name, 200):
            row.refuse(name, _("for lang (højst %(max)d tegn)") % {"max": limits.get(name, 200)})
        values[name] = text
    return values


def parse_company(row: Row, ctx: Context) -> Staged:
    cvr_text = parse_cvr(row, ctx, required=True)
    if cvr_text:
        ctx.once(row, "cvr", ("cvr", cvr_text))
    p_number = row.text("p_number").replace(" ", "")
    if p_number:
        if not (len(p_number) == 10 and p_number.isascii() and p_number.isdigit()):
            row.refuse("p_number", _("et P-nummer har 10 cifre"))
        elif ctx.p_numbers.get(p_number, cvr_text) != cvr_text:
            row.refuse("p_number", _("P-nummeret hører til en anden virksomhed"))
        ctx.once(row, "p_number", ("p", p_number))
    values = text_fields(row, ["name", "address", "postcode", "city"], {"postcode": 4})
    values["p_number"] = p_number
    municipality = parse_municipality(row, ctx)
    ctx.check_municipality(row, "municipality", municipality)
    values.update(
        municipality_id=municipality,
        employees=row.value("employees", parse_count, _("antal ansatte skal være et tal")),
        started_on=row.value("started_on", parse_date, _("ukendt dato (brug dd.mm.åååå)")),
    )
    existing = ctx.companies.get(cvr_text)
    if existing is None:
        row.need("name", values["name"])
        row.need("municipality", municipality)
        data = {
            **values,
            "cvr": cvr_text,
            "segment": "",
            "growth_potential": "",
            "rural": False,
            "created_at": ctx.now,
        }
        return Staged(row.line, data)
    ctx.check_municipality(row, "cvr", existing[1])
    return Staged(row.line, only_given(values), existing[0], "match")


def only_given(values: dict) -> dict:
    """An update changes only what the file gives."""
    return {k: v for k, v in values.items() if v not in (None, "")}


def parse_founder(row: Row, ctx: Context) -> Staged:
    try:
        number = cpr.clean_cpr(row.text("cpr"))
    except ValidationError as error:
        row.refuse("cpr", " ".join(error.messages) if row.text("cpr") else _("skal udfyldes"))
        return Staged(row.line, {})
    digest = cpr.lookup_hash(number)
    ctx.once(row, "cpr", ("cpr", digest))
    values = text_fields(
        row,
        ["name", "address", "postcode", "city", "phone", "email", "education"],
        {"postcode": 4, "phone": 30, "city": 100},
    )
    if values["email"] and "@" not in values["email"]:
        row.refuse("email", _("ugyldig e-mailadresse"))
    municipality = parse_municipality(row, ctx)
    ctx.check_municipality(row, "municipality", municipality)
    values["municipality_id"] = municipality
    existing = ctx.founders.get(digest)
    if existing is not None:
        ctx.check_municipality(row, "cpr", existing[1])
        return Staged(row.line, only_given(values), existing[0], "match")
    row.need("name", values["name"])
    row.need("municipality", municipality)
    data = {
        **values,
        "cpr_hash": digest,
        "birth_date": cpr.birth_date(number).isoformat(),
        "sex": cpr.sex(number),
        "created_at": ctx.now,
    }
    return Staged(row.line, data, cpr_encrypted=cpr.encrypt(number), cpr_hash=digest)


def parse_contact(row: Row, ctx: Context) -> Staged:
    cvr_text = parse_cvr(row, ctx, required=True)
    company = ctx.companies.get(cvr_text)
    if cvr_text and company is None:
        row.refuse("cvr", _("ingen virksomhed med CVR-nummeret %(cvr)s") % {"cvr": cvr_text})
    values = text_fields(row, ["name", "role", "phone", "email", "education"], {"phone": 30})
    row.need("name", values["name"])
    if company is not None:
        ctx.check_municipality(row, "cvr", company[1])
        ctx.once(row, "name", ("contact", company[0], values["name"].lower()))
    data = {**values, "company_id": company[0] if company else None}
    return Staged(row.line, data, action="match")


def parse_session(row: Row, ctx: Context) -> Staged:
    subject = existing_subject(row, ctx)
    unknown = _("ukendt værdi")
    data = {
        **subject,
        "date": row.need("date", row.value("date", parse_date, _("ukendt dato"))),
        "tier": row.need("tier", row.value("tier", chosen(TIERS), unknown)),
        "channel": row.need("channel", row.value("channel", chosen(CHANNELS), unknown)),
        "kind": row.value("kind", chosen(KINDS), unknown) or GuidanceSession.Kind.FULL,
        "themes": row.value("themes", parse_themes, _("ukendt tema")) or [],
        "content": row.text("content"),
        "operator_id": ctx.batch.operator_id,
        "created_by_id": ctx.batch.created_by_id,
        "created_at": ctx.now,
        "screening_done": False,
        "screening_result": "",
    }
    for name, default in [("hours_before", 2), ("hours_during", 4), ("hours_after", 2)]:
        hours = row.value(name, parse_hours, _("timer skal være et tal fra 0 til 100"))
        data[name] = default if hours is None else hours
    return Staged(row.line, data, action="match")


def parse_referral(row: Row, ctx: Context) -> Staged:
    subject = existing_subject(row, ctx)
    target = ctx.operators.get(row.text("target").lower())
    if row.text("target") and target is None:
        row.refuse("target", _("ukendt operatør “%(name)s”") % {"name": row.text("target")})
    sent_on = row.need("sent_on", row.value("sent_on", parse_date, _("ukendt dato")))
    data = {
        **subject,
        "sender_operator_id": ctx.batch.operator_id,
        "sent_by_id": ctx.batch.created_by_id,
        "target_operator_id": row.need("target", target),
        "reason": row.need("reason", row.text("reason")),
        "themes": row.value("themes", parse_themes, _("ukendt tema")) or [],
        "after_screening": False,
        "state": "completed",
        "sent_at": f"{sent_on}T12:00:00+01:00" if sent_on else None,
        "decline_reason": "",
        "uptake": "",
        "uptake_source": "",
    }
    return Staged(row.line, data, action="match")


def parse_consent(row: Row, ctx: Context) -> Staged:
    subject = existing_subject(row, ctx)
    given_on = row.need("given_on", row.value("given_on", parse_date, _("ukendt dato")))
    data = {
        **subject,
        "given_on": given_on,
        "scope": row.value("scope", chosen(SCOPES), _("ukendt værdi")) or Consent.Scope.ALL,
        "method": row.value("method", chosen(METHODS), _("ukendt værdi")) or "",
        "document": "",
        "recorded_by_id": ctx.batch.created_by_id,
        "operator_id": ctx.batch.operator_id,
        "recorded_at": ctx.now,
        "correction_reason": "",
        # Records moved from the operator's own system: the operator guided the subject.
        "confirmed_at": ctx.now,
        "confirmation": Consent.Confirmation.GUIDED,
        "link_nonce": "",
        "link_sent_to": "",
    }
    return Staged(row.line, data, action="match")
