"""Use cases around the company register: what a lookup fills into the company form, and the
nightly refresh that keeps every company as the register says (crm.register asks it)."""

import time

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import concurrency, impact, register
from crm.models import Company, IndustryCode, Municipality, ProductionUnit, RegisterRefresh
from crm.register import RegisterCompany, RegisterUnavailable
from crm.services import DomainError, NotAllowed, do_create_company

HISTORY_SOURCE = "cvr-register"  # the change history names the register as the source
# What the register decides; everything else on a company is the consultants'.
REGISTER_FIELDS = [
    "name",
    "address",
    "postcode",
    "city",
    "municipality",
    "industry_code",
    "industry_code_db07",
    "status",
    "company_form",
    "employees_band",
    "advertising_protected",
]


def check_p_number_free(p_number: str, company: Company | None) -> None:
    """A P-number is one company's in the whole CRM: not another company's P-number, nor one
    of another company's production units from the register."""
    if not p_number:
        return
    others = Company.objects.exclude(pk=getattr(company, "pk", None))
    units = ProductionUnit.objects.exclude(company_id=getattr(company, "pk", None))
    if others.filter(p_number=p_number).exists() or units.filter(p_number=p_number).exists():
        raise ValidationError(_("P-nummeret tilhører allerede en anden virksomhed."))


def municipality_of(found: RegisterCompany) -> Municipality | None:
    """By the register's municipality code; cvrapi.dk gives none, so then by the city's name
    where it is a municipality's (Viborg), else left for the consultant."""
    if found.municipality_code:
        return Municipality.objects.filter(code=found.municipality_code.lstrip("0")).first()
    return Municipality.objects.filter(name__iexact=found.city).first() if found.city else None


def industry_of(found: RegisterCompany) -> IndustryCode | None:
    if not found.industry_code:
        return None
    return IndustryCode.objects.filter(
        system=IndustryCode.System.DB25, code=found.industry_code
    ).first()


def main_p_number(found: RegisterCompany) -> str:
    units = found.production_units
    main = [unit for unit in units if unit.main] or (list(units) if len(units) == 1 else [])
    return main[0].p_number if main else ""


def register_values(found: RegisterCompany) -> dict:
    """The company's fields as the register has them (model values, not form input)."""
    return {
        "name": found.name[:200],
        "address": found.address[:200],
        "postcode": found.postcode[:4],
        "city": found.city[:100],
        "municipality": municipality_of(found),
        "industry_code": industry_of(found),
        "industry_code_db07": found.industry_code_db07[:6],
        "status": found.status,
        "company_form": found.company_form[:100],
        "employees_band": found.employees_band[:12],
        "advertising_protected": found.protected,
    }


def check_can_fill(user, found: RegisterCompany) -> None:
    """The register's company may be registered by ``user`` only where the user may change
    records: its municipality must be one of theirs (pages answer 404 otherwise)."""
    municipality = municipality_of(found)
    if municipality is None:
        return  # the consultant chooses among their own municipalities
    if municipality.pk not in Municipality.objects.ids_for(user, "change_records"):
        raise NotAllowed(
            _("%(name)s ligger i %(municipality)s, hvor du ikke må registrere virksomheder.")
            % {"name": found.name, "municipality": municipality}
        )


def form_data(found: RegisterCompany, typed: dict) -> dict:
    """What the company form shows after a lookup: the register's facts over what was typed,
    the consultant's own fields (segment, growth potential, employees) as typed."""
    values = register_values(found)
    data = {key: value for key, value in typed.items() if key != "csrfmiddlewaretoken"}
    data.update(
        {
            key: getattr(value, "pk", value) if value is not None else ""
            for key, value in values.items()
        }
    )
    data["cvr"] = found.cvr
    data["p_number"] = typed.get("p_number") or main_p_number(found)
    data["started_on"] = found.started_on.isoformat() if found.started_on else ""
    data["register_source"] = found.source
    if not found.protected:
        data.pop("advertising_protected")  # an unchecked box is an absent one
    return data


@transaction.atomic
def do_apply_register(company: Company, found: RegisterCompany) -> list[str]:
    """Make ``company`` what the register says; returns the names of the fields that changed.
    Side effects: one change-history entry with source "cvr-register" if anything changed;
    the production units replaced by the register's; the register's annual full-time
    equivalents recorded as the company's figures (crm.impact). The company's sessions keep
    their own municipality: a company that moved leaves its past sessions with the operators
    that held them."""
    values = {k: v for k, v in register_values(found).items() if v is not None and v != ""}
    values.setdefault("status", found.status)
    changed = [name for name, value in values.items() if getattr(company, name) != value]
    set_production_units(company, found)
    impact.do_record_register_years(company, dict(found.annual_fte))
    if not changed:
        return []  # nothing written, nothing in the history: a re-run changes nothing
    for name in changed:
        setattr(company, name, values[name])
    company.register_source = found.source
    company.register_checked_at = timezone.now()
    with pghistory.context(source=HISTORY_SOURCE):
        company.save(update_fields=[*changed, "register_source", "register_checked_at"])
    return changed


def set_production_units(company: Company, found: RegisterCompany) -> None:
    """The register is the authority on P-numbers: a unit the register gives this company is
    its, even if another company in the CRM had it."""
    numbers = [unit.p_number for unit in found.production_units]
    company.production_units.exclude(p_number__in=numbers).delete()
    for unit in found.production_units:
        ProductionUnit.objects.update_or_create(
            p_number=unit.p_number,
            defaults={
                "company": company,
                "name": unit.name[:200],
                "address": unit.address[:200],
                "postcode": unit.postcode[:4],
                "city": unit.city[:100],
                "main": unit.main,
            },
        )


def do_refresh_company(company_id: int, budget: register.Budget | None = None) -> list[str]:
    """Compare one company with the register and apply what changed (see do_apply_register).
    A company the register does not know is left as it is."""
    with transaction.atomic():
        company = Company.objects.select_for_update().filter(pk=company_id).first()
        if company is None:
            return []
        try:
            found = register.look_up_cvr(company.cvr, budget or register.Budget.for_batch())
        except register.NotInRegister:
            return []  # e.g. a CVR number typed wrong: left for a merge (never deleted here)
        return do_apply_register(company, found)


def do_refresh_from_register(*, limit: int | None = None, per_second: float | None = None) -> dict:
    """The nightly refresh: every company, in id order, compared with the register, at most
    ``per_second`` requests a second. Resumable: the last company done is stored after each
    one, and a run that stops (the register is away, the worker dies, ``limit`` reached) is
    continued by the next; a finished run starts over. Idempotent: a company the register
    agrees with is not written. Returns {"checked": n, "changed": n, "finished": bool}."""
    if not register.is_configured():
        return {"checked": 0, "changed": 0, "finished": False}
    pause = 1 / (per_second or settings.CVR_REFRESH_PER_SECOND)
    checked = changed = 0
    with transaction.atomic():
        state = RegisterRefresh.state()
        if state.after_company_id == 0:
            RegisterRefresh.objects.filter(pk=1).update(
                started_at=timezone.now(), finished_at=None, checked=0, changed=0
            )
    ids = Company.objects.filter(pk__gt=state.after_company_id).order_by("pk")
    for company_id in ids.values_list("pk", flat=True).iterator():
        if limit is not None and checked >= limit:
            return {"checked": checked, "changed": changed, "finished": False}
        started = time.monotonic()
        try:
            fields = do_refresh_company(company_id)
        except RegisterUnavailable:
            return {"checked": checked, "changed": changed, "finished": False}
        checked += 1
        changed += bool(fields)
        remember_progress(company_id, changed=bool(fields))
        time.sleep(max(0.0, pause - (time.monotonic() - started)))
    RegisterRefresh.objects.filter(pk=1).update(after_company_id=0, finished_at=timezone.now())
    return {"checked": checked, "changed": changed, "finished": True}


def remember_progress(company_id: int, *, changed: bool) -> None:
    RegisterRefresh.objects.filter(pk=1).update(
        after_company_id=company_id, checked=F("checked") + 1, changed=F("changed") + int(changed)
    )


def do_register_company(user, cvr: str, *, municipality: Municipality | None = None) -> Company:
    """Register the company with CVR number ``cvr`` from the register's facts alone (the phone
    app's new company, typed offline). ``municipality``: where the register names none.
    Refuses a CVR number registered already (``DuplicateRecord``, before asking the register)
    and a company in a municipality the user may not register in (``NotAllowed``); raises
    ``RegisterUnavailable`` when the register does not answer. Side effect: the production
    units are read after the commit (crm.tasks.refresh_company_from_register)."""
    from crm.tasks import refresh_company_from_register

    same = Company.objects.filter(cvr=cvr)
    concurrency.check_not_registered(same, _("CVR-nummeret er allerede registreret."))
    found = register.look_up_cvr(cvr)
    check_can_fill(user, found)
    values = {name: value for name, value in register_values(found).items() if value is not None}
    values["municipality"] = values.get("municipality") or municipality
    if values["municipality"] is None:
        raise DomainError(
            _("CVR-registret angiver ingen kommune for %(name)s: vælg kommunen.")
            % {"name": found.name}
        )
    company = do_create_company(
        user,
        cvr=found.cvr,
        p_number=free_p_number(main_p_number(found)),
        started_on=found.started_on,
        register_source=found.source,
        register_checked_at=timezone.now(),
        **values,
    )
    transaction.on_commit(lambda: refresh_company_from_register.delay(company.pk))
    return company


def free_p_number(p_number: str) -> str:
    """The register's main P-number, unless the CRM has it on another company (the refresh
    then settles whose it is)."""
    try:
        check_p_number_free(p_number, None)
    except ValidationError:
        return ""
    return p_number
