"""Consent to share with the hub: recorded on the sending day where none covered it."""

import datetime

from django.utils import timezone

from crm.models import Consent, ContactPerson
from referrals.demo.drafts import Draft, Setting


def covers(consent: dict, operator_id: int, day: datetime.date) -> bool:
    return (
        consent["given_on"] <= day
        and (consent["withdrawn_on"] is None or consent["withdrawn_on"] > day)
        and (consent["scope"] == Consent.Scope.ALL or operator_id in consent["operators"])
    )


def existing_consents(drafts: list[Draft]) -> dict[tuple, list[dict]]:
    """(company id, founder id) -> that subject's consents with their named operators."""
    companies = [d.referral.company_id for d in drafts if d.referral.company_id]
    founders = [d.referral.founder_id for d in drafts if d.referral.founder_id]
    rows = Consent.objects.filter(company_id__in=companies) | Consent.objects.filter(
        founder_id__in=founders
    )
    named = {}
    through = Consent.operators.through.objects.filter(consent__in=rows)
    for consent_id, operator_id in through.values_list("consent_id", "operator_id"):
        named.setdefault(consent_id, set()).add(operator_id)
    found: dict[tuple, list[dict]] = {}
    for row in rows.values("pk", "company_id", "founder_id", "given_on", "withdrawn_on", "scope"):
        row["operators"] = named.get(row["pk"], set())
        found.setdefault((row["company_id"], row["founder_id"]), []).append(row)
    return found


def seed_hub_consents(setting: Setting, drafts: list[Draft]) -> int:
    """A consent on the sending day wherever none covered the hub: to all operators (mostly)
    or named to the local service and the hub; said in a meeting with the sending local
    service, which guided the subject (so in force at once, crm.consents), by a contact
    person of a company."""
    found = existing_consents(drafts)
    companies = [d.referral.company_id for d in drafts if d.referral.company_id]
    givers = dict(
        ContactPerson.objects.filter(company_id__in=companies)
        .order_by("company_id", "-pk")
        .values_list("company_id", "pk")
    )
    consents, named = [], []
    for draft in drafts:
        referral = draft.referral
        day = timezone.localdate(referral.sent_at)
        subject = (referral.company_id, referral.founder_id)
        if any(covers(c, setting.hub.pk, day) for c in found.get(subject, [])):
            continue
        scope = Consent.Scope.ALL if setting.rng.random() < 0.6 else Consent.Scope.NAMED
        consent = Consent(
            company_id=referral.company_id,
            founder_id=referral.founder_id,
            given_on=day,
            given_by_id=givers.get(referral.company_id),
            method=Consent.Method.MEETING,
            scope=scope,
            recorded_by_id=referral.sent_by_id,
            operator_id=referral.sender_operator_id,
            recorded_at=referral.sent_at,
            confirmed_at=referral.sent_at,
            confirmation=Consent.Confirmation.GUIDED,
        )
        consents.append(consent)
        if scope == Consent.Scope.NAMED:
            named += [(consent, referral.sender_operator_id), (consent, setting.hub.pk)]
    Consent.objects.bulk_create(consents, batch_size=2000)
    through = Consent.operators.through
    through.objects.bulk_create(
        [through(consent=c, operator_id=o) for c, o in named], batch_size=2000
    )
    return len(consents)
