"""Migration import: an operator's existing records (companies, contact persons, founders,
guidance sessions, referrals, consents) from CSV or XLSX, as a batch a manager can undo.

1. ``do_start_import``: the upload is stored (default_storage) and the file's columns mapped
   to fields, pre-filled from the column names of a typical export of the shared
   erhvervsservice CRM (``ALIASES``).
2. ``check_batch`` (Celery): every row parsed and checked; CPR numbers encrypted and hashed
   at once; the good rows COPYed into the staging table, matched to existing records (CVR,
   P-number, CPR hash) in SQL, and counted as created, updated or skipped; every bad row kept
   with line, column and reason (CPR masked). The upload is deleted.
3. ``run_batch`` (Celery, after the manager confirms): all rows or none, set-based
   ``INSERT ... SELECT`` and ``UPDATE ... FROM`` the staging table; per record what it was
   before (``ImportRecord``).
4. ``do_undo_import``: the records created are removed and the updates reverted, unless
   something else changed them since (``undo_blockers``).

CPR numbers never reach a log, a task argument, the staging table in plaintext or the error
file. Imports need the manager role and ``change_records`` in the records' municipalities
(``import_municipality_ids``); rows elsewhere are refused one by one.
"""

import csv
import datetime
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pghistory
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import cpr
from crm.models import (
    Company,
    Consent,
    Founder,
    GuidanceSession,
    ImportBatch,
    ImportRecord,
    ImportStagingRow,
    Membership,
    Municipality,
    Operator,
    Theme,
)
from crm.services import DomainError
from crm.spreadsheets import choice_map, file_rows, table_csv

Kind = ImportBatch.Kind
PROGRESS_EVERY = 2000  # rows between progress updates on the batch


def import_municipality_ids(user) -> set[int]:
    """Municipalities where ``user`` may import and merge: ``change_records`` there, as a
    manager of an active operator that serves it."""
    if not user.is_authenticated:
        return set()
    managed = Municipality.objects.filter(
        operators__memberships__user=user,
        operators__memberships__role=Membership.Role.MANAGER,
        operators__active=True,
    ).values_list("pk", flat=True)
    return set(managed) & set(Municipality.objects.ids_for(user, "change_records"))


def check_can_import(user) -> None:
    """403 for a user who may import nowhere."""
    if not import_municipality_ids(user):
        raise PermissionDenied


def managed_operator(user) -> Operator | None:
    return (
        Operator.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.MANAGER, active=True
        )
        .order_by("pk")
        .first()
    )


# --- Fields and the column names of the shared CRM's export ---------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


SUBJECT_FIELDS = [
    Field("cvr", _("CVR-nummer"), ("cvr-nr", "cvr-nr.", "cvr nummer", "cvrnr", "cvr")),
    Field("cpr", _("CPR-nummer"), ("cpr-nr", "cpr-nr.", "cpr nummer", "cprnr", "cpr")),
]
FIELDS: dict[str, list[Field]] = {
    Kind.COMPANIES: [
        Field("cvr", _("CVR-nummer"), SUBJECT_FIELDS[0].aliases, required=True),
        Field("p_number", _("P-nummer"), ("p-nr", "p-nr.", "p-nummer", "pnr", "produktionsenhed")),
        Field("name", _("Navn"), ("virksomhedsnavn", "navn", "firmanavn", "virksomhed")),
        Field("address", _("Adresse"), ("adresse", "vejnavn og nr.", "gade")),
        Field("postcode", _("Postnummer"), ("postnr", "postnr.", "postnummer")),
        Field("city", _("By"), ("by", "postdistrikt", "bynavn")),
        Field("municipality", _("Kommune"), ("kommune", "kommunekode", "kommunenr")),
        Field("employees", _("Antal ansatte"), ("antal ansatte", "ansatte", "årsværk")),
        Field("started_on", _("Startdato"), ("startdato", "stiftet", "etableringsdato")),
    ],
    Kind.CONTACTS: [
        Field("cvr", _("CVR-nummer"), SUBJECT_FIELDS[0].aliases, required=True),
        Field("name", _("Navn"), ("kontaktperson", "navn", "kontaktnavn"), required=True),
        Field("role", _("Rolle"), ("rolle", "stilling", "titel")),
        Field("phone", _("Telefon"), ("telefon", "tlf", "tlf.", "mobil")),
        Field("email", _("E-mail"), ("e-mail", "email", "mail")),
        Field("education", _("Uddannelse"), ("uddannelse",)),
    ],
    Kind.FOUNDERS: [
        Field("cpr", _("CPR-nummer"), SUBJECT_FIELDS[1].aliases, required=True),
        Field("name", _("Navn"), ("navn", "iværksætter", "fulde navn")),
        Field("address", _("Adresse"), ("adresse",)),
        Field("postcode", _("Postnummer"), ("postnr", "postnr.", "postnummer")),
        Field("city", _("By"), ("by", "postdistrikt")),
        Field("phone", _("Telefon"), ("telefon", "tlf", "tlf.", "mobil")),
        Field("email", _("E-mail"), ("e-mail", "email", "mail")),
        Field("education", _("Uddannelse"), ("uddannelse",)),
        Field("municipality", _("Kommune"), ("kommune", "kommunekode", "bopælskommune")),
    ],
    Kind.SESSIONS: [
        *SUBJECT_FIELDS,
        Field("date", _("Dato"), ("dato", "vejledningsdato", "mødedato"), required=True),
        Field("tier", _("Niveau"), ("vejledningstype", "niveau", "vejledningsniveau"), True),
        Field("channel", _("Kanal"), ("kanal", "kontaktform", "henvendelsesform"), True),
        Field("kind", _("Art"), ("art", "type", "kontakttype")),
        Field("themes", _("Temaer"), ("temaer", "tema", "emner", "vejledningstema")),
        Field("hours_before", _("Timer før"), ("timer før", "forberedelse")),
        Field("hours_during", _("Timer under"), ("timer under", "timer", "varighed")),
        Field("hours_after", _("Timer efter"), ("timer efter", "efterbehandling")),
        Field("content", _("Hovedindhold"), ("indhold", "hovedindhold", "notat", "referat")),
    ],
    Kind.REFERRALS: [
        *SUBJECT_FIELDS,
        Field("sent_on", _("Henvist den"), ("dato", "henvisningsdato", "henvist"), True),
        Field("target", _("Henvist til"), ("henvist til", "modtager", "operatør"), True),
        Field("reason", _("Begrundelse"), ("begrundelse", "årsag", "notat"), True),
        Field("themes", _("Temaer"), ("temaer", "tema", "emner")),
    ],
    Kind.CONSENTS: [
        *SUBJECT_FIELDS,
        Field("given_on", _("Givet den"), ("dato", "samtykkedato", "givet"), True),
        Field("scope", _("Givet til"), ("omfang", "givet til", "samtykke til")),
        Field("method", _("Givet som"), ("form", "givet som", "samtykkeform")),
    ],
}


def normal(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def suggest_mapping(kind: str, columns: list[str]) -> dict[str, str]:
    """field -> column, for the columns whose name is the field's or one of its aliases."""
    by_name = {normal(column): column for column in columns if column}
    mapping = {}
    for spec in FIELDS[kind]:
        for name in (spec.name, normal(str(spec.label)), *spec.aliases):
            if normal(name) in by_name:
                mapping[spec.name] = by_name[normal(name)]
                break
    return mapping


# --- Starting an import ----------------------------------------------------------------------


def do_start_import(user, *, kind: str, name: str, data: bytes) -> ImportBatch:
    """A batch for the uploaded file: stored, its columns read and mapped by their names.
    Side effect: the file is saved in default_storage (deleted once checked)."""
    check_can_import(user)
    header = [cell.strip() for cell in file_rows(data)[0][1]]
    path = default_storage.save(f"indlaesninger/{timezone.now():%Y/%m}/upload", ContentFile(data))
    return ImportBatch.objects.create(
        kind=kind,
        operator=managed_operator(user),
        created_by=user,
        file_name=name[:200],
        file_path=path,
        columns=header,
        mapping=suggest_mapping(kind, header),
    )


def do_set_mapping(batch: ImportBatch, mapping: dict[str, str]) -> None:
    """Keep the user's choice of columns and check the file in Celery."""
    if batch.state != ImportBatch.State.UPLOADED:
        raise DomainError(_("Filen er allerede tjekket."))
    known = {spec.name for spec in FIELDS[batch.kind]}
    batch.mapping = {f: c for f, c in mapping.items() if f in known and c in batch.columns}
    missing = [
        str(spec.label)
        for spec in FIELDS[batch.kind]
        if spec.required and spec.name not in batch.mapping
    ]
    if missing:
        raise DomainError(_("Vælg en kolonne til: %(fields)s.") % {"fields": ", ".join(missing)})
    batch.state = ImportBatch.State.CHECKING
    batch.save(update_fields=["mapping", "state"])
    from crm.tasks import check_import

    transaction.on_commit(lambda: check_import.delay(batch.pk))


# --- Parsing the rows ----------------------------------------------------------------------


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


@dataclass(frozen=True)
class Target:
    """Where a kind of row goes: the table, the columns an update may change, and the SQL
    that finds the record a row matches (``{staging}`` rows of ``%(batch)s``)."""

    model: str
    parse: Callable
    update_columns: tuple[str, ...] = ()
    match_sql: str = ""


SUBJECT_MATCH = (
    "t.company_id IS NOT DISTINCT FROM (s.data->>'company_id')::bigint"
    " AND t.founder_id IS NOT DISTINCT FROM (s.data->>'founder_id')::bigint"
)
TARGETS = {
    Kind.COMPANIES: Target(
        "crm.company",
        parse_company,
        ("p_number", "name", "address", "postcode", "city", "municipality_id", "employees")
        + ("started_on",),
    ),
    Kind.FOUNDERS: Target(
        "crm.founder",
        parse_founder,
        ("name", "address", "postcode", "city", "phone", "email", "education", "municipality_id"),
    ),
    Kind.CONTACTS: Target(
        "crm.contactperson",
        parse_contact,
        ("role", "phone", "email", "education"),
        "t.company_id = (s.data->>'company_id')::bigint AND lower(t.name) = lower(s.data->>'name')",
    ),
    Kind.SESSIONS: Target(
        "crm.guidancesession",
        parse_session,
        match_sql=SUBJECT_MATCH + " AND t.operator_id = (s.data->>'operator_id')::bigint"
        " AND t.date = (s.data->>'date')::date AND t.tier = s.data->>'tier'"
        " AND t.channel = s.data->>'channel'",
    ),
    Kind.REFERRALS: Target(
        "referrals.referral",
        parse_referral,
        match_sql=SUBJECT_MATCH
        + " AND t.sender_operator_id = (s.data->>'sender_operator_id')::bigint"
        " AND t.target_operator_id = (s.data->>'target_operator_id')::bigint"
        " AND t.sent_at::date = (s.data->>'sent_at')::timestamptz::date",
    ),
    Kind.CONSENTS: Target(
        "crm.consent",
        parse_consent,
        match_sql=SUBJECT_MATCH + " AND t.operator_id = (s.data->>'operator_id')::bigint"
        " AND t.given_on = (s.data->>'given_on')::date AND t.scope = s.data->>'scope'",
    ),
}


def model_of(label: str):
    return apps.get_model(label)


# --- Checking a batch (Celery) -------------------------------------------------------------


def check_batch(batch: ImportBatch) -> ImportBatch:
    """Parse and check every row, stage the good ones, count what will be created, updated
    and skipped. Side effects: the upload is deleted (it holds plaintext CPR numbers);
    progress is saved on the batch as rows are read."""
    with default_storage.open(batch.file_path) as stored:
        lines = file_rows(stored.read())
    header = [cell.strip() for cell in lines[0][1]]
    rows = [
        Row(line, dict(zip(header, cells, strict=False)), batch.mapping)
        for line, cells in lines[1:]
    ]
    batch.rows_total = len(rows)
    batch.save(update_fields=["rows_total"])
    ctx = Context.read(batch, rows)
    parse = TARGETS[batch.kind].parse
    staged, errors = [], []
    for number, row in enumerate(rows, start=1):
        result = parse(row, ctx)
        if row.problems:
            errors += bad_row(row)
        else:
            staged.append(result)
        if number % PROGRESS_EVERY == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(rows_done=number)
    with transaction.atomic():
        ImportStagingRow.objects.filter(batch=batch).delete()
        copy_staged(batch, staged)
        decide_actions(batch)
        counts = staged_counts(batch)
        batch.created_count, batch.updated_count, batch.skipped_count = counts
        batch.errors, batch.rows_done = errors, batch.rows_total
        batch.state = ImportBatch.State.CHECKED
        batch.save()
    default_storage.delete(batch.file_path)
    ImportBatch.objects.filter(pk=batch.pk).update(file_path="")
    return batch


def bad_row(row: Row) -> list[dict]:
    cells = masked_cells(row)
    return [
        {"line": row.line, "column": column, "reason": reason, "cells": cells}
        for column, reason in row.problems
    ]


def copy_staged(batch: ImportBatch, staged: list[Staged]) -> None:
    """COPY the rows into the staging table: one statement, whatever the count."""
    table = ImportStagingRow._meta.db_table
    columns = "batch_id, line, action, target_id, data, cpr_encrypted, cpr_hash"
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in staged:
            copy.write_row(
                (
                    batch.pk,
                    row.line,
                    row.action,
                    row.target_id,
                    json.dumps(row.data),
                    row.cpr_encrypted,
                    row.cpr_hash,
                )
            )


def decide_actions(batch: ImportBatch) -> None:
    """Rows matching a record: an update where the file changes one of its columns, else
    skipped. Rows of sessions, referrals and consents already registered are skipped."""
    target = TARGETS[batch.kind]
    table, staging = model_of(target.model)._meta.db_table, ImportStagingRow._meta.db_table
    with connection.cursor() as cursor:
        if target.match_sql:
            cursor.execute(
                f"UPDATE {staging} s SET target_id = t.id, action = 'match' FROM {table} t"  # noqa: S608 (names from code)
                f" WHERE s.batch_id = %s AND s.action = 'match' AND {target.match_sql}",
                [batch.pk],
            )
            cursor.execute(
                f"UPDATE {staging} SET action = 'create'"  # noqa: S608 (names from code)
                " WHERE batch_id = %s AND action = 'match' AND target_id IS NULL",
                [batch.pk],
            )
        changed = " OR ".join(
            f"(r.{c} IS NOT NULL AND r.{c} IS DISTINCT FROM t.{c})" for c in target.update_columns
        )
        cursor.execute(
            f"UPDATE {staging} s SET action = CASE WHEN {changed or 'false'}"  # noqa: S608 (names from code)
            " THEN 'update' ELSE 'skip' END"
            f" FROM {table} t, (SELECT s2.id AS staged_id, p.* FROM {staging} s2,"
            f" jsonb_populate_record(NULL::{table}, s2.data) p"
            " WHERE s2.batch_id = %s AND s2.action = 'match') r"
            " WHERE s.id = r.staged_id AND t.id = s.target_id",
            [batch.pk],
        )


def staged_counts(batch: ImportBatch) -> tuple[int, int, int]:
    rows = ImportStagingRow.objects.filter(batch=batch).values("action").order_by()
    counts = dict(rows.annotate(n=Count("pk")).values_list("action", "n"))
    return counts.get("create", 0), counts.get("update", 0), counts.get("skip", 0)


# --- Importing a batch (Celery, after the confirmation) ------------------------------------


def do_confirm_import(user, batch: ImportBatch) -> None:
    """Start the import of a checked batch without bad rows (all rows or none)."""
    if batch.state != ImportBatch.State.CHECKED:
        raise DomainError(
            _("Indlæsningen kan ikke startes nu (status: %(state)s).")
            % {"state": batch.get_state_display()}
        )
    if batch.errors:
        raise DomainError(
            _("Filen har %(count)d fejl: ret dem og indlæs filen igen; intet er gemt.")
            % {"count": len({e["line"] for e in batch.errors})}
        )
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.IMPORTING, rows_done=0)
    from crm.tasks import run_import

    transaction.on_commit(lambda: run_import.delay(batch.pk))


def run_batch(batch: ImportBatch) -> ImportBatch:
    """Write the staged rows: all or none, in one transaction, set-based. Every insert and
    update is in the change history with the batch as its context. Side effects: the staging
    rows are removed; contracts whose goals count sessions or referrals recompute."""
    target = TARGETS[batch.kind]
    model = model_of(target.model)
    with transaction.atomic(), pghistory.context(import_batch=batch.pk):
        record_updates(batch, model, target)
        apply_updates(batch, model, target)
        insert_created(batch, model)
        if batch.kind == Kind.CONSENTS:
            name_recording_operator(batch)
        ImportStagingRow.objects.filter(batch=batch).delete()
        events = history_model(model).objects.order_by("-pgh_id").values_list("pgh_id", flat=True)
        batch.history_mark = events.first() or 0
        batch.finished_at = timezone.now()
        batch.state, batch.rows_done = ImportBatch.State.DONE, batch.rows_total
        batch.save()
        municipalities = touched_municipalities(batch, model)
        transaction.on_commit(lambda: recompute_contracts(municipalities))
    return batch


def column_list(model) -> list[str]:
    """The columns an insert writes: every concrete one but the id and generated ones."""
    return [
        f.column
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    ]


def insert_created(batch: ImportBatch, model) -> None:
    table, staging = model._meta.db_table, ImportStagingRow._meta.db_table
    columns = column_list(model)
    values, params = [], {"batch": batch.pk, "label": model._meta.label_lower}
    for f in model._meta.concrete_fields:
        if f.column not in columns:
            continue
        if f.column in ("cpr_encrypted", "cpr_hash"):
            values.append(f"s.{f.column}")
        elif not f.null and f.get_default() is not None:  # a column the file does not give
            params[f.column] = f.get_db_prep_save(f.get_default(), connection)
            values.append(f"COALESCE(r.{f.column}, %({f.column})s)")
        else:
            values.append(f"r.{f.column}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH created AS (INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 (names from code)
            f" SELECT {', '.join(values)} FROM {staging} s,"
            f" jsonb_populate_record(NULL::{table}, s.data) r"
            " WHERE s.batch_id = %(batch)s AND s.action = 'create' ORDER BY s.line"
            " RETURNING id)"
            f" INSERT INTO {ImportRecord._meta.db_table} (batch_id, model, object_id, action)"
            " SELECT %(batch)s, %(label)s, id, 'created' FROM created",
            params,
        )


def record_updates(batch: ImportBatch, model, target: Target) -> None:
    """What each record to be updated holds now in the columns an import may change."""
    table, staging = model._meta.db_table, ImportStagingRow._meta.db_table
    before = ", ".join(f"'{c}', t.{c}" for c in target.update_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ImportRecord._meta.db_table}"  # noqa: S608 (names from code)
            " (batch_id, model, object_id, action, before)"
            f" SELECT %(batch)s, %(label)s, t.id, 'updated', jsonb_build_object({before})"
            f" FROM {table} t JOIN {staging} s ON s.target_id = t.id"
            " WHERE s.batch_id = %(batch)s AND s.action = 'update'",
            {"batch": batch.pk, "label": model._meta.label_lower},
        )


def apply_updates(batch: ImportBatch, model, target: Target) -> None:
    if not target.update_columns:
        return
    table, staging = model._meta.db_table, ImportStagingRow._meta.db_table
    sets = ", ".join(f"{c} = COALESCE(r.{c}, t.{c})" for c in target.update_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} t SET {sets} FROM {staging} s,"  # noqa: S608 (names from code)
            f" jsonb_populate_record(NULL::{table}, s.data) r"
            " WHERE s.batch_id = %s AND s.action = 'update' AND t.id = s.target_id",
            [batch.pk],
        )


def name_recording_operator(batch: ImportBatch) -> None:
    """A consent given to named operators names the one that recorded it."""
    through = Consent.operators.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through} (consent_id, operator_id)"  # noqa: S608 (names from code)
            f" SELECT c.id, c.operator_id FROM {ImportRecord._meta.db_table} ir"
            f" JOIN {Consent._meta.db_table} c ON c.id = ir.object_id"
            " WHERE ir.batch_id = %s AND ir.action = 'created' AND c.scope = 'named'",
            [batch.pk],
        )


def touched_municipalities(batch: ImportBatch, model) -> list[int]:
    if batch.kind not in (Kind.SESSIONS, Kind.REFERRALS):
        return []
    ids = ImportRecord.objects.filter(batch=batch).values("object_id")
    rows = model._base_manager.filter(pk__in=ids).order_by()
    return sorted(set(rows.values_list("municipality", flat=True).distinct()))


def recompute_contracts(municipality_ids) -> list[int]:
    """The goal attainment of the active contracts covering ``municipality_ids``, in Celery
    (contracts.tasks, by name: the contracts app builds on this one, not the other way)."""
    from celery import current_app

    if not municipality_ids:
        return []
    contract = apps.get_model("contracts", "Contract")
    ids = list(
        contract.objects.filter(municipalities__in=municipality_ids, status="active")
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    task = current_app.tasks["contracts.tasks.compute_contract_attainment"]
    for contract_id in ids:  # one task per contract: a contract is real work
        task.delay(contract_id)
    return ids


# --- Undo ----------------------------------------------------------------------------------


def history_model(model):
    """The pghistory event model of ``model`` (its rows' ``pgh_obj``)."""
    return next(
        rel.related_model for rel in model._meta.related_objects if rel.field.name == "pgh_obj"
    )


def undo_blockers(batch: ImportBatch) -> list[str]:
    """Why the batch cannot be undone: records changed since the import, or records it
    created that others now refer to (a session logged on an imported company)."""
    if batch.state != ImportBatch.State.DONE:
        return [_("Kun en gennemført indlæsning kan fortrydes.")]
    model = model_of(TARGETS[batch.kind].model)
    ids = list(ImportRecord.objects.filter(batch=batch).values_list("object_id", flat=True))
    created = ImportRecord.objects.filter(batch=batch, action=ImportRecord.Action.CREATED)
    changed = (
        history_model(model)
        .objects.filter(pgh_obj_id__in=ids, pgh_id__gt=batch.history_mark)
        .values_list("pgh_obj_id", flat=True)
        .distinct()
    )
    blockers = []
    if count := changed.count():
        blockers.append(
            _("%(count)d %(records)s er ændret siden indlæsningen (fx id %(id)s).")
            % {
                "count": count,
                "records": model._meta.verbose_name_plural,
                "id": changed.order_by("pgh_obj_id").first(),
            }
        )
    for rel, rows in references(model, created.values("object_id")):
        blockers.append(
            _("%(count)d %(rows)s er registreret på poster fra indlæsningen.")
            % {"count": rows.count(), "rows": rel.related_model._meta.verbose_name_plural}
        )
    return blockers


def reverse_relations(model) -> list:
    """Every relation that points at ``model``, the hidden ones (``related_name="+"``, such
    as an evaluation's or a consent read's company) included: ``_meta.related_objects``
    leaves those out. A many-to-many comes once (not again as its table's foreign key);
    other models' change history is history, not a reference."""
    from pghistory.models import Event

    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.is_relation
        and f.auto_created
        and not f.concrete
        and not f.related_model._meta.auto_created
        and (f.field.name == "pgh_obj" or not issubclass(f.related_model, Event))
    ]


def references(model, ids):
    """(relation, rows) of every other table that refers to one of ``ids`` (history
    excluded), the non-empty ones only."""
    for rel in reverse_relations(model):
        if rel.field.name == "pgh_obj":
            continue
        if rel.many_to_many:
            through = rel.through if hasattr(rel, "through") else rel.field.remote_field.through
            column = f"{model._meta.model_name}__in"
            rows = through.objects.filter(**{column: ids})
        else:
            rows = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": ids})
        if rows.exists():
            yield rel, rows


def do_undo_import(user, batch: ImportBatch) -> None:
    """Remove the records the batch created and put back what its updates changed, in one
    transaction, recorded in the change history with the batch. Refused (DomainError, with
    every reason) if something changed them since."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if blockers := undo_blockers(batch):
            raise DomainError(" ".join([_("Indlæsningen kan ikke fortrydes:"), *blockers]))
        model = model_of(TARGETS[batch.kind].model)
        with pghistory.context(undo_import_batch=batch.pk):
            revert_updates(batch, model)
            created = ImportRecord.objects.filter(batch=batch, action="created")
            if batch.kind == Kind.CONSENTS:
                Consent.operators.through.objects.filter(
                    consent__in=created.values("object_id")
                ).delete()
            model._base_manager.filter(pk__in=created.values("object_id"))._raw_delete("default")
        batch.state, batch.undone_at, batch.undone_by = (
            ImportBatch.State.UNDONE,
            timezone.now(),
            user,
        )
        batch.save(update_fields=["state", "undone_at", "undone_by"])
        municipalities = touched_municipalities_after_undo(batch)
        transaction.on_commit(lambda: recompute_contracts(municipalities))


def touched_municipalities_after_undo(batch: ImportBatch) -> list[int]:
    if batch.kind not in (Kind.SESSIONS, Kind.REFERRALS):
        return []
    return sorted(import_municipality_ids(batch.created_by))


def revert_updates(batch: ImportBatch, model) -> None:
    columns = TARGETS[batch.kind].update_columns
    if not columns:
        return
    table = model._meta.db_table
    sets = ", ".join(f"{c} = r.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} t SET {sets} FROM {ImportRecord._meta.db_table} ir,"  # noqa: S608 (names from code)
            f" jsonb_populate_record(NULL::{table}, ir.before) r"
            " WHERE ir.batch_id = %s AND ir.action = 'updated' AND t.id = ir.object_id",
            [batch.pk],
        )


# --- The error file ------------------------------------------------------------------------


def error_file(batch: ImportBatch) -> bytes:
    """The bad rows in the file's own columns (CPR masked), each with its line and reasons,
    as CSV: fix them in the original file and upload it again."""

    by_line: dict[int, dict] = {}
    for error in batch.errors:
        entry = by_line.setdefault(error["line"], {"cells": error["cells"], "reasons": []})
        entry["reasons"].append(f"{error['column']}: {error['reason']}")
    with translation.override(None):
        header = [_("Linje"), *batch.columns, _("Fejl")]
    rows = [
        [line, *[entry["cells"].get(c, "") for c in batch.columns], "; ".join(entry["reasons"])]
        for line, entry in sorted(by_line.items())
    ]
    return table_csv(header, rows)


def error_lines(batch: ImportBatch) -> int:
    return len({error["line"] for error in batch.errors})


def visible_batches(user):
    """The batches of the operators the user manages."""
    return ImportBatch.objects.filter(
        operator__memberships__user=user, operator__memberships__role=Membership.Role.MANAGER
    ).distinct()


def csv_text(rows: list[list[str]]) -> bytes:
    """A CSV file of ``rows`` (tests and the bench build import files with it)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode()


def mark_failed(batch: ImportBatch, error: Exception) -> None:
    """The batch failed: say so on its page (a DomainError's message; else a general one,
    since other messages may quote a row)."""
    message = str(error) if isinstance(error, DomainError) else _("Indlæsningen fejlede.")
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, message=message)
