"""User evaluation (brugerevaluering): the shares and the NPS of the survey answers."""

from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from contracts.indicators.core import HUNDRED, Measure, Result, grouped, indicator, share_of_answers
from contracts.models import Evaluation
from crm.models import Company
from crm.subjects import subject_filter

# --- User evaluation (brugerevaluering) ----------------------------------------------------

SURVEY = _("Svar i brugerevalueringen om vejledning fra de målte operatører, besvaret i perioden.")
# "Med vækstambitioner" (seed 001 §7): a growth potential (A/B/C), or the growth segment of
# the company or of the answer itself.
GROWTH_AMBITION = (
    Q(company__growth_potential__gt="")
    | Q(company__segment=Company.Segment.GROWTH)
    | Q(segment=Company.Segment.GROWTH)
)


def evaluations_in(
    period,
    municipality_ids,
    operator_ids,
    *,
    segment=None,
    themes=None,
    growth_ambitions=False,
    sources=None,
):
    """Answers about the measured operators' guidance (``Evaluation.operator`` is the
    operator whose guidance was evaluated), from the ``sources`` (``Evaluation.Origin``;
    none given: every source)."""
    rows = Evaluation.objects.filter(
        answered_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )
    if sources:
        rows = rows.filter(origin__in=sources)
    filters = {"segment": segment, "themes__overlap": themes}
    rows = rows.filter(**{key: value for key, value in filters.items() if value is not None})
    if growth_ambitions:  # seed 001 §7: founders, new companies, and companies with ambitions
        rows = rows.filter(subject_filter("entrepreneur", "answered_on") | GROWTH_AMBITION)
    return rows


@indicator(
    "satisfaction_share",
    label=_("Andel tilfredse brugere"),
    unit="%",
    counts=SURVEY,
    excludes=_("'Ved ikke' og ubesvarede udgår af beregningen."),
    numerator=_("svar der tæller (fx 'Meget tilfreds')"),
    denominator=_("svar på spørgsmålet om tilfredshed"),
    is_share=True,
)
def satisfaction_share(
    period,
    municipality_ids,
    operator_ids,
    *,
    answers=("very",),
    segment=None,
    themes=None,
    growth_ambitions=False,
    sources=None,
) -> Result:
    """Seed 002, Mål 3: "Mindst 80 pct. ... angiver ..., at de er 'Meget tilfredse' med
    erhvervshusmedarbejderens faglige kompetencer" (answers=very); seed 001 §7: "Mere end 80%
    af vejledte iværksættere og eksisterende virksomheder med vækstambitioner skal være
    tilfredse eller meget tilfredse" (answers=very,satisfied, growth_ambitions)."""
    rows = evaluations_in(
        period,
        municipality_ids,
        operator_ids,
        segment=segment,
        themes=themes,
        growth_ambitions=growth_ambitions,
        sources=sources,
    )
    return share_of_answers(rows, "satisfaction", answers, municipality_ids)


@indicator(
    "nps",
    label=_("Net Promoter Score"),
    unit=_("NPS"),
    counts=SURVEY + " " + _("Andel anbefalere (9-10) minus andel kritikere (0-6) i procentpoint."),
    excludes=_("Svar uden score tæller ikke."),
    numerator=_("anbefalere minus kritikere"),
    denominator=_("svar med score"),
    is_share=True,
)
def nps(
    period, municipality_ids, operator_ids, *, segment=None, themes=None, sources=None
) -> Result:
    """Seed 002, Mål 3: "Net Promotor Score (NPS) på mindst 70"."""
    rows = evaluations_in(
        period, municipality_ids, operator_ids, segment=segment, themes=themes, sources=sources
    ).filter(nps__isnull=False)
    aggregates = {
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "answers": Count("pk"),
    }

    def to_measure(row) -> Measure:
        answers = Decimal(row["answers"] or 0)
        difference = Decimal((row["promoters"] or 0) - (row["detractors"] or 0))
        value = (difference * HUNDRED / answers).quantize(Decimal("0.1")) if answers else None
        return Measure(value, difference, answers)

    to_measure.aggregates = aggregates
    return grouped(rows, "municipality", municipality_ids, to_measure)


@indicator(
    "effect_share",
    label=_("Andel der forventer positiv effekt 'I høj grad'"),
    unit="%",
    counts=SURVEY
    + " "
    + _("Med temaer: kun svar fra virksomheder, der har angivet vejledning i temaet."),
    excludes=_("'Ved ikke' og ubesvarede udgår af beregningen."),
    numerator=_("svar 'I høj grad'"),
    denominator=_("svar på spørgsmålet om effekt"),
    is_share=True,
)
def effect_share(
    period, municipality_ids, operator_ids, *, themes=None, segment=None, sources=None
) -> Result:
    """Seed 002, Mål 5-7: "vurderer 70 pct. ... at vejledningen 'I høj grad' forventes at
    have en positiv effekt" - overall, or for themes=[green] / themes=[digital]."""
    rows = evaluations_in(
        period, municipality_ids, operator_ids, themes=themes, segment=segment, sources=sources
    )
    return share_of_answers(rows, "effect", ["high"], municipality_ids)
