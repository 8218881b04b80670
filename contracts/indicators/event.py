"""Events and group activities: the participants of the measured operators' events."""

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, Lower
from django.utils.translation import gettext_lazy as _

from contracts.indicators.core import (
    Result,
    age_on,
    counted,
    grouped,
    indicator,
    participant_in_group,
)
from crm.models import Event, EventParticipant

# --- Events and group activities ---------------------------------------------------------


def participants_in(
    period, municipality_ids, operator_ids, *, themes=None, event_kind=None
) -> QuerySet:
    """Participants marked present at events held in the period in the municipalities and run
    by one of the measured operators (the organiser or a partner)."""
    partner = Event.partners.through.objects.filter(
        event=OuterRef("event"), operator__in=operator_ids
    )
    rows = EventParticipant.objects.filter(
        attended=True,
        event__date__range=(period.start, period.end),
        event__municipality__in=municipality_ids,
    ).filter(Q(event__operator__in=operator_ids) | Exists(partner))
    filters = {"event__themes__overlap": themes, "event__kind": event_kind}
    return rows.filter(**{key: value for key, value in filters.items() if value is not None})


PARTICIPANT_KINDS = {
    EventParticipant.Kind.COMPANY: Q(company__isnull=False),
    EventParticipant.Kind.FOUNDER: Q(founder__isnull=False),
    EventParticipant.Kind.PERSON: Q(company__isnull=True, founder__isnull=True),
}


def participant_key():
    """One key per participant: a company by its CVR record, a founder by its CPR record (a
    founder who started a company as that company, as ``subject_key``), a person by the
    e-mail given, and a person without one by the registration itself."""
    return Case(
        When(company__isnull=False, then=Concat(Value("c"), Cast("company_id", CharField()))),
        When(
            founder__company__isnull=False,
            then=Concat(Value("c"), Cast("founder__company_id", CharField())),
        ),
        When(founder__isnull=False, then=Concat(Value("f"), Cast("founder_id", CharField()))),
        When(~Q(email=""), then=Concat(Value("e"), Lower("email"))),
        default=Concat(Value("p"), Cast("pk", CharField())),
        output_field=CharField(),
    )


@indicator(
    "event_participants",
    label=_("Deltagere i arrangementer"),
    unit=_("deltagere"),
    counts=_(
        "Forskellige deltagere, der er registreret som mødt til kurser, workshops, "
        "netværksmøder og informationsmøder, som de målte operatører har holdt (som arrangør "
        "eller medarrangør) i perioden, i den kommune arrangementet blev holdt i: "
        "virksomheder (CVR), iværksættere (CPR) og personer uden CVR/CPR. En deltager tæller "
        "én gang, uanset hvor mange arrangementer den har deltaget i; en person uden CVR/CPR "
        "genkendes på sin e-mailadresse."
    ),
    excludes=_(
        "Tilmeldte, der ikke er registreret som mødt. En person uden CVR/CPR og uden "
        "e-mailadresse tæller for hver tilmelding."
    )
    + " "
    + _(
        "Med 'heraf' tæller kun personer: en iværksætter efter sit CPR-nummer og sin egen "
        "oplysning om fødeland, en person uden CPR efter det, personen selv har oplyst; "
        "virksomheder og personer uden oplysningen tæller ikke med i 'heraf'."
    ),
)
def event_participants(
    period,
    municipality_ids,
    operator_ids,
    *,
    participant=None,
    themes=None,
    event_kind=None,
    breakdown=None,
) -> Result:
    """Seed 004: "Antal personer som fått nyföretagarrådgivning", "Antal möten med personer
    med idéer" (the courses and meetings of "Testa på att vara företagare", "Nyföretagararena")
    - participation in group activities, alongside guidance (issue 16)."""
    rows = participants_in(
        period, municipality_ids, operator_ids, themes=themes, event_kind=event_kind
    )
    if participant:
        rows = rows.filter(PARTICIPANT_KINDS[participant])
    if breakdown:
        rows = rows.annotate(age=age_on("event__date", "founder__birth_date"))
        rows = rows.filter(participant_in_group(breakdown))
    return grouped(
        rows,
        "event__municipality",
        municipality_ids,
        counted(Count(participant_key(), distinct=True)),
    )
