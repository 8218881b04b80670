"""The company register (CVR): look a company up by CVR number, P-number or name.

Two providers, tried in this order when configured (environment, read at call time so a test
can point them at its own server):
- Erhvervsstyrelsen's system-to-system access, the Elasticsearch index ``cvr-permanent``
  (``CVR_REGISTER_URL``, ``CVR_REGISTER_USER``, ``CVR_REGISTER_PASSWORD``);
- cvrapi.dk (``CVRAPI_URL``, e.g. ``https://cvrapi.dk/api``, and ``CVRAPI_TOKEN`` for a paid plan).
Without either, lookup is off and the company form is filled by hand.

Every answer is normalised to one ``RegisterCompany``. Every failure is a ``RegisterError`` with
a message for the user (never a 500): not found, refused, too slow, broken. A page never waits
longer than ``CVR_REGISTER_TIMEOUT`` seconds in all, retries included.
"""

import datetime
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.util import Retry, Timeout

from crm.services import DomainError

DB25_FROM = datetime.date(2025, 1, 1)  # main industry periods from here are coded in DB25


class Status:
    ACTIVE = "active"
    CEASED = "ceased"
    BANKRUPT = "bankrupt"


class RegisterError(DomainError):
    """The register could not answer the question; the message is for the user."""


class NotInRegister(RegisterError):
    pass


class RegisterUnavailable(RegisterError):
    """The register is off, slow, refused the credentials or answered something unreadable."""


@dataclass(frozen=True)
class ProductionUnitFacts:
    p_number: str
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    main: bool = False


@dataclass(frozen=True)
class RegisterCompany:
    cvr: str
    name: str
    address: str = ""
    postcode: str = ""
    city: str = ""
    municipality_code: str = ""  # "791"; cvrapi.dk does not give it
    industry_code: str = ""  # DB25, six digits
    industry_code_db07: str = ""
    company_form: str = ""
    started_on: datetime.date | None = None
    employees_band: str = ""  # "5-9", "1000+"
    status: str = Status.ACTIVE
    protected: bool = False  # reklamebeskyttet: no marketing to it
    production_units: tuple[ProductionUnitFacts, ...] = field(default_factory=tuple)
    source: str = ""
    # The register's annual employment: (year, full-time equivalents), from Erhvervsstyrelsen
    # only (cvrapi.dk gives a band of today's employees).
    annual_fte: tuple[tuple[int, Decimal], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Budget:
    """How long one use may wait for the register, and how often it retries."""

    seconds: float
    retries: int

    @classmethod
    def for_page(cls) -> "Budget":
        return cls(settings.CVR_REGISTER_TIMEOUT, retries=1)

    @classmethod
    def for_batch(cls) -> "Budget":
        return cls(max(settings.CVR_REGISTER_TIMEOUT, 10.0), retries=3)


def is_configured() -> bool:
    return bool(providers())


def providers() -> list["Provider"]:
    found = []
    if settings.CVR_REGISTER_URL and settings.CVR_REGISTER_USER:
        found.append(VirkProvider())
    if settings.CVRAPI_URL:
        found.append(CvrapiProvider())
    return found


def look_up_cvr(cvr: str, budget: Budget | None = None) -> RegisterCompany:
    return first_answer(lambda provider, call: provider.by_cvr(cvr, call), budget)


def look_up_p_number(p_number: str, budget: Budget | None = None) -> RegisterCompany:
    return first_answer(lambda provider, call: provider.by_p_number(p_number, call), budget)


def search_names(name: str, budget: Budget | None = None) -> list[RegisterCompany]:
    return first_answer(lambda provider, call: provider.by_name(name, call), budget)


def first_answer(ask, budget: Budget | None):
    """The first configured provider's answer; the next one is asked only when one is away
    (not when it says "not found"), and only within the same time budget."""
    found = providers()
    if not found:
        raise RegisterUnavailable(_("Opslag i CVR-registret er slået fra: udfyld felterne selv."))
    call = Caller(budget or Budget.for_page())
    error = None
    for provider in found:
        try:
            return ask(provider, call)
        except NotInRegister:
            raise
        except RegisterUnavailable as unavailable:
            error = unavailable
            if call.remaining() <= 0:
                break
    raise error


class Caller:
    """HTTP with one deadline over all attempts: urllib3 retries a lost connection and a
    502/503/504; each attempt may use its share of what is left of the budget."""

    def __init__(self, budget: Budget):
        self.deadline = time.monotonic() + budget.seconds
        self.seconds = budget.seconds
        self.attempts = budget.retries + 1
        retry = Retry(
            total=budget.retries,
            connect=budget.retries,
            read=0,  # a read that timed out has spent the budget already
            status=budget.retries,
            status_forcelist=(502, 503, 504),
            allowed_methods=None,  # the search POST changes nothing: retry it too
            backoff_factor=0.1,
            respect_retry_after_header=False,
            raise_on_status=False,
        )
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.CVR_USER_AGENT
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def json(self, method: str, url: str, **kwargs):
        left = self.remaining()
        if left <= 0:
            raise self.too_slow()
        try:
            # Each attempt gets its share, so that a retry too ends within the deadline.
            timeout = Timeout(total=left / self.attempts)
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as error:
            raise self.too_slow() from error
        except requests.RequestException as error:
            raise RegisterUnavailable(_("CVR-registret kunne ikke nås.")) from error
        return response.status_code, self.decode(response)

    def too_slow(self) -> RegisterUnavailable:
        return RegisterUnavailable(
            _("CVR-registret svarede ikke inden for %(seconds)s sekunder: udfyld felterne selv.")
            % {"seconds": f"{self.seconds:g}"}
        )

    @staticmethod
    def decode(response):
        if response.status_code >= 500:
            raise RegisterUnavailable(
                _("CVR-registret har en fejl lige nu (%(status)s): prøv igen senere.")
                % {"status": response.status_code}
            )
        if response.status_code in (401, 403):
            raise RegisterUnavailable(
                _("CVR-registret afviste adgangen: tjek brugernavn og adgangskode til registret.")
            )
        try:
            return response.json()
        except ValueError as error:
            raise RegisterUnavailable(
                _("CVR-registret svarede med noget, der ikke kunne læses.")
            ) from error


def not_found(number: str) -> NotInRegister:
    return NotInRegister(_("%(number)s findes ikke i CVR-registret.") % {"number": number})


def unreadable() -> RegisterUnavailable:
    return RegisterUnavailable(_("CVR-registret svarede med noget, der ikke kunne læses."))


class Provider:
    def by_cvr(self, cvr: str, call: Caller) -> RegisterCompany: ...

    def by_p_number(self, p_number: str, call: Caller) -> RegisterCompany: ...

    def by_name(self, name: str, call: Caller) -> list[RegisterCompany]: ...


# --- Erhvervsstyrelsen: system-to-system (Elasticsearch) -----------------------------------


class VirkProvider(Provider):
    def search(self, call: Caller, index: str, query: dict, size: int = 1) -> list[dict]:
        url = f"{settings.CVR_REGISTER_URL.rstrip('/')}/cvr-permanent/{index}/_search"
        auth = (settings.CVR_REGISTER_USER, settings.CVR_REGISTER_PASSWORD)
        _status, body = call.json("POST", url, json={**query, "size": size}, auth=auth)
        try:
            return [hit["_source"] for hit in body["hits"]["hits"]]
        except (KeyError, TypeError) as error:
            raise unreadable() from error

    def companies(self, call: Caller, query: dict, size: int = 1) -> list[RegisterCompany]:
        body = {"_source": ["Vrvirksomhed"], "query": query}
        sources = self.search(call, "virksomhed", body, size)
        try:
            return [virk_company(source["Vrvirksomhed"]) for source in sources]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise unreadable() from error

    def one(self, call: Caller, query: dict, number: str) -> RegisterCompany:
        found = self.companies(call, query)
        if not found:
            raise not_found(number)
        return self.with_units(call, found[0])

    def by_cvr(self, cvr, call):
        return self.one(call, {"term": {"Vrvirksomhed.cvrNummer": int(cvr)}}, cvr)

    def by_p_number(self, p_number, call):
        return self.one(call, {"term": {"Vrvirksomhed.penheder.pNummer": int(p_number)}}, p_number)

    def by_name(self, name, call):
        match = {"query": name, "operator": "and"}
        query = {"match": {"Vrvirksomhed.virksomhedMetadata.nyesteNavn.navn": match}}
        return self.companies(call, query, size=10)

    def with_units(self, call: Caller, company: RegisterCompany) -> RegisterCompany:
        """The production units' names and addresses, from the sibling index (one request)."""
        numbers = [int(unit.p_number) for unit in company.production_units]
        if not numbers or call.remaining() <= 0:
            return company
        query = {"query": {"terms": {"VrproduktionsEnhed.pNummer": numbers}}}
        try:
            sources = self.search(call, "produktionsenhed", query, size=len(numbers))
            units = {u.p_number: u for u in (virk_unit(s["VrproduktionsEnhed"]) for s in sources)}
        except (RegisterUnavailable, KeyError, TypeError, ValueError):
            return company  # the company itself is known; the units keep their numbers only
        merged = tuple(units.get(u.p_number, u) for u in company.production_units)
        return RegisterCompany(**{**company.__dict__, "production_units": merged})


def current(periods: list[dict] | None) -> dict | None:
    """The entry of a historic field in force now (``gyldigTil`` empty), else the latest."""
    if not periods:
        return None
    open_ones = [p for p in periods if not (p.get("periode") or {}).get("gyldigTil")]
    return (open_ones or periods)[-1]


def virk_address(address: dict | None) -> tuple[str, str, str, str]:
    """(street address, postcode, city, municipality code) of a CVR address object."""
    if not address:
        return "", "", "", ""
    number = f"{address.get('husnummerFra') or ''}{address.get('bogstavFra') or ''}"
    street = " ".join(part for part in [address.get("vejnavn") or "", number] if part)
    floor = ", ".join(str(part) for part in [address.get("etage"), address.get("sidedoer")] if part)
    street = f"{street}, {floor}" if floor else street
    if not street and address.get("fritekst"):
        street = address["fritekst"]
    municipality = (address.get("kommune") or {}).get("kommuneKode")
    return (
        street,
        str(address.get("postnummer") or ""),
        address.get("postdistrikt") or address.get("bynavn") or "",
        str(municipality) if municipality else "",
    )


def band(code: str | None) -> str:
    """``ANTAL_5_9`` -> ``5-9``; ``ANTAL_1000_999999`` or ``ANTAL_1000_`` -> ``1000+``; cvrapi's
    ``"5 - 9"`` -> ``5-9``."""
    numbers = re.findall(r"\d+", str(code or ""))
    if not numbers:
        return ""
    low = numbers[0]
    if len(numbers) == 1 or int(numbers[1]) >= 999999:
        return f"{low}+"
    return low if low == numbers[1] else f"{low}-{numbers[1]}"


def status_of(text: str | None, ended: bool = False, bankrupt: bool = False) -> str:
    words = (text or "").upper()
    if bankrupt or "KONKURS" in words:
        return Status.BANKRUPT
    if ended or any(word in words for word in ("OPHØRT", "OPLØST", "SLETTET", "TVANGSOPL")):
        return Status.CEASED
    return Status.ACTIVE


def industry_codes(branches: list[dict] | None, newest: dict | None) -> tuple[str, str]:
    """(DB25, DB07): the main industry in force, coded DB25 when it is dated 2025 or later;
    DB07 from the latest period before that."""
    db25 = db07 = ""
    for branch in branches or ([newest] if newest else []):
        start = (branch.get("periode") or {}).get("gyldigFra") or ""
        code = str(branch.get("branchekode") or "")
        if start and datetime.date.fromisoformat(start) >= DB25_FROM:
            db25 = code
        else:
            db07 = code
    if newest and not db25 and not db07:
        db07 = str(newest.get("branchekode") or "")
    return db25, db07


def virk_company(company: dict) -> RegisterCompany:
    meta = company.get("virksomhedMetadata") or {}
    name = (meta.get("nyesteNavn") or current(company.get("navne")) or {}).get("navn") or ""
    address = meta.get("nyesteBeliggenhedsadresse") or current(company.get("beliggenhedsadresse"))
    street, postcode, city, municipality = virk_address(address)
    db25, db07 = industry_codes(company.get("hovedbranche"), meta.get("nyesteHovedbranche"))
    form = meta.get("nyesteVirksomhedsform") or current(company.get("virksomhedsform")) or {}
    employed = (
        meta.get("nyesteKvartalsbeskaeftigelse") or meta.get("nyesteAarsbeskaeftigelse") or {}
    )
    life = current(company.get("livsforloeb")) or {}
    ended = bool((life.get("periode") or {}).get("gyldigTil"))
    started = meta.get("stiftelsesDato") or ((life.get("periode") or {}).get("gyldigFra"))
    units = tuple(
        ProductionUnitFacts(p_number=str(unit["pNummer"]))
        for unit in company.get("penheder") or []
        if not (unit.get("periode") or {}).get("gyldigTil")
    )
    return RegisterCompany(
        cvr=str(company["cvrNummer"]),
        name=name,
        address=street,
        postcode=postcode,
        city=city,
        municipality_code=municipality,
        industry_code=db25,
        industry_code_db07=db07,
        company_form=form.get("langBeskrivelse") or "",
        started_on=datetime.date.fromisoformat(started) if started else None,
        employees_band=band(employed.get("intervalKodeAntalAnsatte")),
        status=status_of(meta.get("sammensatStatus"), ended=ended),
        protected=bool(company.get("reklamebeskyttet")),
        production_units=units,
        source="cvr",
        annual_fte=annual_fte(company.get("aarsbeskaeftigelse")),
    )


def annual_fte(years: list[dict] | None) -> tuple[tuple[int, Decimal], ...]:
    """The years the register holds full-time equivalents for (``antalAarsvaerk``; a year
    given only as a band is left out: a band is no figure to grow from)."""
    return tuple(
        (int(year["aar"]), Decimal(str(year["antalAarsvaerk"])))
        for year in years or []
        if year.get("aar") and year.get("antalAarsvaerk") is not None
    )


def virk_unit(unit: dict) -> ProductionUnitFacts:
    meta = unit.get("produktionsEnhedMetadata") or {}
    name = (meta.get("nyesteNavn") or current(unit.get("navne")) or {}).get("navn") or ""
    address = meta.get("nyesteBeliggenhedsadresse") or current(unit.get("beliggenhedsadresse"))
    street, postcode, city, _municipality = virk_address(address)
    return ProductionUnitFacts(
        p_number=str(unit["pNummer"]),
        name=name,
        address=street,
        postcode=postcode,
        city=city,
        main=bool(meta.get("hovedafdeling") or unit.get("hovedafdeling")),
    )


# --- cvrapi.dk --------------------------------------------------------------------------------


class CvrapiProvider(Provider):
    def ask(self, call: Caller, **params) -> dict | None:
        params = {**params, "country": "dk"}
        if settings.CVRAPI_TOKEN:
            params["token"] = settings.CVRAPI_TOKEN
        status, body = call.json("GET", settings.CVRAPI_URL, params=params)
        if not isinstance(body, dict):
            raise unreadable()
        error = body.get("error")
        if error == "QUOTA_EXCEEDED":
            raise RegisterUnavailable(_("Dagens kvote af opslag i cvrapi.dk er brugt."))
        if error or status == 404:
            return None
        return body

    def one(self, call: Caller, number: str, **params) -> RegisterCompany:
        body = self.ask(call, **params)
        if body is None:
            raise not_found(number)
        return parsed(body)

    def by_cvr(self, cvr, call):
        return self.one(call, cvr, vat=cvr)

    def by_p_number(self, p_number, call):
        return self.one(call, p_number, produ=p_number)

    def by_name(self, name, call):
        body = self.ask(call, name=name)  # cvrapi.dk answers the best match only
        return [parsed(body)] if body else []


def parsed(body: dict) -> RegisterCompany:
    try:
        return cvrapi_company(body)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise unreadable() from error


def cvrapi_date(text: str | None) -> datetime.date | None:
    """cvrapi.dk writes dates as ``"01/03 - 2019"``."""
    if not text:
        return None
    return datetime.datetime.strptime(text.replace(" ", ""), "%d/%m-%Y").date()


def cvrapi_company(body: dict) -> RegisterCompany:
    industry = str(body.get("industrycode") or "")
    units = tuple(
        ProductionUnitFacts(
            p_number=str(unit["pno"]),
            name=unit.get("name") or "",
            address=unit.get("address") or "",
            postcode=str(unit.get("zipcode") or ""),
            city=unit.get("city") or "",
            main=bool(unit.get("main")),
        )
        for unit in body.get("productionunits") or []
        if not unit.get("enddate")
    )
    return RegisterCompany(
        cvr=str(body["vat"]),
        name=body.get("name") or "",
        address=body.get("address") or "",
        postcode=str(body.get("zipcode") or ""),
        city=body.get("city") or body.get("cityname") or "",
        industry_code=industry,  # cvrapi.dk passes the register's current code on
        company_form=body.get("companydesc") or "",
        started_on=cvrapi_date(body.get("startdate")),
        employees_band=band(body.get("employees")),
        status=status_of(
            body.get("creditstatus") if isinstance(body.get("creditstatus"), str) else "",
            ended=bool(body.get("enddate")),
            bankrupt=bool(body.get("creditbankrupt")),
        ),
        protected=bool(body.get("protected")),
        production_units=units,
        source="cvrapi",
    )
