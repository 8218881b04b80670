"""Seed 004: the EU programme's breakdowns (of which women, young, foreign-born); the
groups themselves are in ``core`` (the events' indicators take them too)."""

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from contracts.indicators.core import Result, age_on, counted, founder_in_group, grouped, indicator
from contracts.indicators.guidance import GUIDED, guided_in
from crm.models import Event, EventParticipant, Founder, GuidanceSession

# --- Seed 004: the EU programme's breakdowns ------------------------------------------------


BREAKDOWN = _(
    "Heraf kvinder, unge (18-30 år) eller født i udlandet: efter iværksætterens CPR-nummer "
    "(køn, alder på dagen) og iværksætterens egen oplysning om fødeland; uden oplysningen "
    "tæller personen ikke med i 'heraf'."
)


@indicator(
    "companies_supported",
    label=_("Virksomheder der får støtte"),
    unit=_("virksomheder"),
    counts=_(
        "Forskellige virksomheder (CVR), som de målte operatører har givet mindst én "
        "vejledning i perioden. Heraf kvinder, unge (18-30 år) eller født i udlandet: "
        "virksomheder med en tilknyttet iværksætter (som har startet virksomheden) i gruppen, "
        "alder på vejledningens dato."
    ),
    excludes=GUIDED
    + " "
    + _("Virksomheder uden tilknyttet iværksætter tæller ikke med i 'heraf'."),
)
def companies_supported(
    period, municipality_ids, operator_ids, *, breakdown=None, subject=None
) -> Result:
    """Seed 004: "Antal företag som får stöd: Mål 400 ... Varav antal kvinnor (mål) 150,
    varav antal unga (18-30 år), varav antal utlandsfödda" - counts, not only shares. A
    company is a woman's, young or foreign-born by the founder who started it
    (``Founder.company``). "Antal nya företag som får stöd: Mål 300" is subject=entrepreneur
    (companies up to three years after their start on the day of the guidance)."""
    rows = guided_in(period, municipality_ids, operator_ids, subject=subject)
    rows = rows.filter(company__isnull=False)
    if breakdown:
        rows = rows.annotate(age=age_on("date", "company__founders__birth_date"))
        rows = rows.filter(founder_in_group(breakdown, "company__founders__"))
    return grouped(rows, "municipality", municipality_ids, counted(Count("company", distinct=True)))


@indicator(
    "founders_supported",
    label=_("Personer med idéer, der har fået vejledning"),
    unit=_("personer"),
    counts=_(
        "Forskellige iværksættere (CPR), som de målte operatører har givet mindst én "
        "vejledning i perioden."
    ),
    excludes=GUIDED + " " + BREAKDOWN,
)
def founders_supported(period, municipality_ids, operator_ids, *, breakdown=None) -> Result:
    """Seed 004: "Antal möten med personer med idéer ... Andel av dem som är kvinnor 19
    stycken, unga 9, utlandsfödda 4" - the persons met, by group."""
    rows = guided_in(period, municipality_ids, operator_ids).filter(founder__isnull=False)
    if breakdown:
        rows = rows.annotate(age=age_on("date", "founder__birth_date"))
        rows = rows.filter(founder_in_group(breakdown))
    return grouped(rows, "municipality", municipality_ids, counted(Count("founder", distinct=True)))


@indicator(
    "persons_started_company",
    label=_("Personer der har startet virksomhed"),
    unit=_("personer"),
    counts=_(
        "Iværksættere (CPR), der startede en virksomhed i perioden (iværksætterens "
        "startdato), og som de målte operatører har vejledt eller haft til et arrangement "
        "(mødt) før eller på startdagen; i iværksætterens kommune."
    ),
    excludes=BREAKDOWN,
)
def persons_started_company(period, municipality_ids, operator_ids, *, breakdown=None) -> Result:
    """Seed 004: "Antal personer som har startat företag: Mål 300 ... kvinnor (mål 125),
    unga (18-30 år), utlandsfödda" - the founder's link to the company it started."""
    guided = GuidanceSession.objects.filter(
        founder=OuterRef("pk"),
        operator__in=operator_ids,
        kind=GuidanceSession.Kind.FULL,
        date__lte=OuterRef("company_started_on"),
    )
    partner = Event.partners.through.objects.filter(
        event=OuterRef("event"), operator__in=operator_ids
    )
    attended = EventParticipant.objects.filter(
        founder=OuterRef("pk"),
        attended=True,
        event__date__lte=OuterRef("company_started_on"),
    ).filter(Q(event__operator__in=operator_ids) | Exists(partner))
    rows = Founder.objects.filter(
        company_started_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
    ).filter(Exists(guided) | Exists(attended))
    if breakdown:
        rows = rows.annotate(age=age_on("company_started_on", "birth_date"))
        rows = rows.filter(founder_in_group(breakdown, prefix=""))
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))
