"""The contracts' legal hold on personal data (``crm.retention.Hold``): a contract that pays
honoraria or spends a budget is settled and audited after its period, and the founders its
parties guided or referred in its period must stay named (the settlement lists them) until
the audit time after its end (the rule ``contract_audit``) is over."""

import datetime

from django.db.models import Exists, OuterRef
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from contracts.models import BudgetLine, Contract, PaymentRule
from crm.models import Founder, GuidanceSession, RetentionRule
from crm.retention import Hold, Reason, register_hold, years, years_after, years_before
from referrals.models import Referral


def audited(today: datetime.date):
    """Contracts with honoraria or a budget whose end is less than the audit years ago."""
    since = years_before(today, years(RetentionRule.Kind.CONTRACT_AUDIT))
    money = Exists(PaymentRule.objects.filter(contract=OuterRef("pk"))) | Exists(
        BudgetLine.objects.filter(contract=OuterRef("pk"))
    )
    return Contract.objects.filter(money, ends_on__gte=since)


def holding_contracts(founder, today: datetime.date):
    """The audited contracts a session or referral of ``founder`` counts in: by one of its
    parties, in one of its municipalities, within its period. ``founder`` is a pk, or an
    expression as seen from the session and referral rows."""
    sessions = GuidanceSession.objects.filter(
        founder=founder,
        operator__contracts=OuterRef("pk"),
        municipality__contracts=OuterRef("pk"),
        date__gte=OuterRef("starts_on"),
        date__lte=OuterRef("ends_on"),
    )
    referrals = Referral.objects.annotate(day=TruncDate("sent_at")).filter(
        founder=founder,
        sender_operator__contracts=OuterRef("pk"),
        municipality__contracts=OuterRef("pk"),
        day__gte=OuterRef("starts_on"),
        day__lte=OuterRef("ends_on"),
    )
    return audited(today).filter(Exists(sessions) | Exists(referrals))


def founders_held(today: datetime.date):
    """On ``Founder`` rows: a contract holds the founder (founder -> contract -> session)."""
    return Exists(holding_contracts(OuterRef(OuterRef("pk")), today))


def reasons(founder: Founder, today: datetime.date) -> list[Reason]:
    audit = years(RetentionRule.Kind.CONTRACT_AUDIT)
    return [
        Reason(
            _("Afregning og revision af kontrakten “%(contract)s”") % {"contract": contract},
            years_after(contract.ends_on, audit),
        )
        for contract in holding_contracts(founder.pk, today).order_by("ends_on", "pk")
    ]


def register() -> None:
    register_hold(Hold(held=founders_held, reasons=reasons))
