"""What a manager reads of the operator's own user survey (issue 17): the response rate per
consultant and month, and the comments. Officials see only the aggregates, through the goals.

An invitation counts for the consultants of its guidance session (each of them, when the
session had two), else for its referral's assignee or sender; it counts in the month it was
sent, and as answered whenever its answer came.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, DateField, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from contracts.models import Evaluation
from contracts.surveys.models import SurveyInvitation
from crm.models import Operator

MONTHS = 12  # months of response rates on the page, this one included


@dataclass
class Rate:
    sent: int = 0
    answered: int = 0

    @property
    def percent(self) -> int | None:
        """Answered of sent, in whole per cent; ``None`` when none was sent."""
        return round(100 * self.answered / self.sent) if self.sent else None


@dataclass
class ConsultantRate(Rate):
    name: str = ""


@dataclass
class MonthRates:
    month: datetime.date
    total: Rate = field(default_factory=Rate)
    consultants: list[ConsultantRate] = field(default_factory=list)


def first_month(today: datetime.date, months: int = MONTHS) -> datetime.date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return datetime.date(index // 12, index % 12 + 1, 1)


def sent_since(operators, since: datetime.date) -> QuerySet:
    """The operators' invitations sent on or after ``since`` (local time)."""
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time()))
    return SurveyInvitation.objects.filter(operator__in=operators, sent_at__gte=start)


def counted(rows: QuerySet) -> QuerySet:
    return rows.annotate(
        sent=Count("pk", distinct=True),
        answered=Count("pk", distinct=True, filter=Q(answered_at__isnull=False)),
    )


def response_rates(operator: Operator, today: datetime.date) -> list[MonthRates]:
    """Per month of the last ``MONTHS`` (newest first), each consultant's invitations sent
    and answered, and the month's total: two grouped queries whatever the number of
    consultants, months and invitations."""
    invitations = sent_since([operator], first_month(today)).annotate(
        month=TruncMonth("sent_at", output_field=DateField())
    )
    months = {
        row["month"]: MonthRates(row["month"], Rate(row["sent"], row["answered"]))
        for row in counted(invitations.values("month")).order_by("-month")
    }
    for row in counted(invitations.values("month", **consultant_columns())).order_by(
        "-month", "first_name", "last_name", "username"
    ):
        months[row["month"]].consultants.append(
            ConsultantRate(row["sent"], row["answered"], consultant_name(row))
        )
    return list(months.values())


def consultant_columns() -> dict:
    """The consultant an invitation counts for: each of its session's consultants; for a
    referral, its assignee at the receiving operator (whose guidance is evaluated), else its
    sender. One person either way: a join is NULL in all its columns or in none."""
    return {
        name: Coalesce(
            f"session__consultants__{column}",
            f"referral__assignee__{column}",
            f"referral__sent_by__{column}",
        )
        for name, column in CONSULTANT_COLUMNS.items()
    }


CONSULTANT_COLUMNS = {
    "consultant": "pk",
    "first_name": "first_name",
    "last_name": "last_name",
    "username": "username",
}


def consultant_name(row: dict) -> str:
    full = f"{row['first_name'] or ''} {row['last_name'] or ''}".strip()
    return full or row["username"] or "–"


def this_month(operators: list[Operator], today: datetime.date) -> list[tuple[Operator, Rate]]:
    """Each operator's invitations sent this month and answered (the manager's start page):
    one grouped query."""
    rows = counted(
        sent_since(operators, today.replace(day=1)).values("operator").order_by("operator")
    )
    found = {row["operator"]: Rate(row["sent"], row["answered"]) for row in rows}
    return [(operator, found.get(operator.pk, Rate())) for operator in operators]


def comments(operator: Operator) -> QuerySet:
    """The operator's own-survey answers with a comment, newest first, with what the page
    shows of each (the session's consultants, the referral's assignee or sender, the subject if the
    answer is stored with it) read in a fixed number of queries."""
    consultants = Prefetch(
        "invitation__session__consultants",
        queryset=get_user_model().objects.order_by("first_name", "last_name", "pk"),
    )
    return (
        Evaluation.objects.filter(operator=operator, origin=Evaluation.Origin.OWN)
        .exclude(comment="")
        .select_related(
            "company",
            "founder",
            "invitation__session",
            "invitation__referral__assignee",
            "invitation__referral__sent_by",
        )
        .prefetch_related(consultants)
        .order_by("-answered_on", "-pk")
    )


@dataclass
class CommentLine:
    evaluation: Evaluation
    consultants: list
    subject: str | None  # None: an anonymous answer


def comment_line(evaluation: Evaluation) -> CommentLine:
    return CommentLine(evaluation, consultants_of(evaluation), subject_name(evaluation))


def consultants_of(evaluation: Evaluation) -> list:
    """The people an answer is about, as ``consultant_columns`` counts them. An anonymous
    answer has none: it is linked neither to its invitation nor to its session, which would
    name its subject (``contracts.surveys.services.identity``)."""
    invitation = getattr(evaluation, "invitation", None)
    if invitation is None:
        return []
    if invitation.session is not None:
        return list(invitation.session.consultants.all())
    referral = invitation.referral
    if referral is None:
        return []
    return [referral.assignee or referral.sent_by]


def subject_name(evaluation: Evaluation) -> str | None:
    """The subject's name when the answer is stored with it; ``None`` for an anonymous answer."""
    subject = evaluation.company or evaluation.founder
    return subject.name if subject else None
