"""Who a registration is about, as the contracts count it: founders, new companies (up to
three years after their start) and established ones (seed 001), and seed 000's rural target
group. The contract indicators and the records filters read these rules; nobody writes them
a second time."""

from django.db.models import DateField, F, Func, Q
from django.utils.translation import gettext_lazy as _

from crm.models import Municipality
from crm.models.subjects import NEW_COMPANY_YEARS

SUBJECTS = (
    ("company", _("virksomheder")),
    ("founder", _("iværksættere før start (CPR)")),
    ("entrepreneur", _("iværksættere: før start og virksomheder op til tre år efter start")),
    ("established", _("virksomheder mere end tre år efter start (eller uden startdato)")),
)


def three_years_after(field: str) -> Func:
    """The date ``NEW_COMPANY_YEARS`` after ``field`` (a start date): the last day counted."""
    return Func(
        F(field),
        template=f"(%(expressions)s + interval '{int(NEW_COMPANY_YEARS)} years')::date",
        output_field=DateField(),
    )


def young_company(date_field: str, company: str = "company") -> Q:
    """The row's company was at most three years old on ``date_field`` (seed 001 §5:
    "iværksættere efter start og indtil tre år"); a company without a start date is not."""
    return Q(**{f"{company}__started_on__isnull": False}) & Q(
        **{f"{date_field}__lte": three_years_after(f"{company}__started_on")}
    )


def subject_filter(subject: str | None, date_field: str) -> Q:
    """Seed 001's two columns: "iværksættere (før start – indtil tre år)" are founders
    registered by CPR and companies up to three years after their start on ``date_field``;
    "virksomheder" are the older companies and those without a start date."""
    if subject is None:
        return Q()
    young = young_company(date_field)
    return {
        "company": Q(company__isnull=False),
        "founder": Q(founder__isnull=False),
        "entrepreneur": Q(founder__isnull=False) | young,
        "established": Q(company__isnull=False) & ~young,
    }[subject]


def rural_target_group(company: str = "company") -> Q:
    """Seed 000: "alle mikrovirksomheder i yderkommunerne, mens fokus i landkommunerne rettes
    mod alle mikrovirksomheder beliggende i landdistrikterne eller i byer med op til 3.000
    indbyggere": the company's own rural mark, or any company in a yderkommune."""
    return Q(**{f"{company}__rural": True}) | Q(
        **{f"{company}__municipality__typology": Municipality.Typology.OUTER}
    )
