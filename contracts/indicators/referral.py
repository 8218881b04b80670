"""Referrals: the indicators of the referrals the measured operators send and receive."""

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contracts.indicators.core import Result, counted, grouped, indicator, share_of_answers, shared
from crm.subjects import subject_filter
from referrals.models import Referral
from referrals.queries import REFERRAL_TARGETS

# --- Referrals -----------------------------------------------------------------------------


def referrals_in(
    period, municipality_ids, operator_ids, *, target=None, after_screening=None, subject=None
) -> QuerySet:
    """The measured operators' referrals sent in the period, withdrawn ones left out."""
    rows = Referral.objects.filter(
        sent_at__date__range=(period.start, period.end),
        municipality__in=municipality_ids,
        sender_operator__in=operator_ids,
    ).exclude(state=Referral.State.WITHDRAWN)
    if target:
        rows = rows.filter(REFERRAL_TARGETS[target])
    if after_screening is not None:
        rows = rows.filter(after_screening=after_screening)
    return rows.filter(subject_filter(subject, "sent_at__date"))


@indicator(
    "referrals",
    label=_("Henvisninger"),
    unit=_("henvisninger"),
    counts=_("Henvisninger sendt af de målte operatører i perioden, efter modtager."),
    excludes=_("Tilbagetrukne henvisninger tæller ikke."),
)
def referrals(
    period, municipality_ids, operator_ids, *, target=None, after_screening=None, subject=None
) -> Result:
    """Seed 000: "Henvisning af 50 vækstvirksomheder/-iværksættere til Væksthus Midtjylland",
    "200 kontakter mellem virksomheder og ekstern viden"; seed 002, Mål 8c: "antal
    henvisning til design økosystemet"."""
    rows = referrals_in(
        period,
        municipality_ids,
        operator_ids,
        target=target,
        after_screening=after_screening,
        subject=subject,
    )
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


@indicator(
    "referrals_in_deadline_share",
    label=_("Henvisninger kontaktet inden fristen"),
    unit="%",
    counts=_(
        "Henvisninger til de målte erhvervshuse, som de kontaktede senest på fristen (to "
        "arbejdsdage), af dem hvis frist er udløbet eller som er kontaktet."
    ),
    excludes=_("Tilbagetrukne henvisninger tæller ikke."),
    numerator=_("kontaktet inden fristen"),
    denominator=_("henvisninger med udløbet frist eller kontakt"),
    is_share=True,
)
def referrals_in_deadline_share(period, municipality_ids, operator_ids) -> Result:
    """Seed 001 §5: "Væksthus Midtjylland skal så vidt muligt tage kontakt til henviste
    iværksættere og virksomheder inden for to arbejdsdage". The measured operator is the
    receiving hub."""
    rows = (
        Referral.objects.filter(
            sent_at__date__range=(period.start, period.end),
            municipality__in=municipality_ids,
            target_operator__in=operator_ids,
        )
        .exclude(state=Referral.State.WITHDRAWN)
        .filter(Q(contacted_at__isnull=False) | Q(due_on__lt=period.end))
    )
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(Count("pk", filter=Q(contacted_at__date__lte=F("due_on"))), Count("pk")),
    )


@indicator(
    "uptake_share",
    label=_("Henviste virksomheder der har brugt rådgivningen"),
    unit="%",
    counts=_(
        "Af de virksomheder og iværksættere, de målte operatører har henvist til ekstern "
        "rådgivning i perioden, og som har svaret: dem, der har brugt rådgivningen eller "
        "forventer at bruge den inden for et halvt år. Hver virksomhed tæller én gang, med "
        "sit seneste svar."
    ),
    excludes=_("'Ved ikke' og ubesvarede udgår af beregningen."),
    numerator=_("har brugt eller forventer at bruge"),
    denominator=_("henviste virksomheder med svar"),
    is_share=True,
)
def uptake_share(period, municipality_ids, operator_ids, *, target="adviser") -> Result:
    """Seed 002, Mål 4: "mindst 45 pct. af de henviste virksomheder angiver, at de har benyttet
    den eksterne rådgivning ... Virksomhederne tælles med i andelen, hvis de har benyttet eller
    forventer at benytte henvisningen inden for et halvt år. Virksomheder, der ikke ved, om de
    har benyttet henvisningen, udgår af beregningen"."""
    rows = referrals_in(period, municipality_ids, operator_ids, target=target).exclude(uptake="")
    newer = rows.filter(
        Q(company__isnull=False, company=OuterRef("company"))
        | Q(founder__isnull=False, founder=OuterRef("founder")),
        Q(uptake_recorded_at__gt=OuterRef("uptake_recorded_at"))
        | Q(uptake_recorded_at=OuterRef("uptake_recorded_at"), pk__gt=OuterRef("pk")),
    )
    latest = rows.filter(~Exists(newer))  # then "Ved ikke" as the latest answer leaves it out
    used = [Referral.Uptake.USED, Referral.Uptake.EXPECTS]
    return share_of_answers(latest, "uptake", used, municipality_ids)
