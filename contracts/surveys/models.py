"""The survey's settings per operator and its invitations (one per evaluated session or
referral). The link's token is never stored: only its SHA-256 digest."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Company, ContactPerson, Founder, GuidanceSession, Municipality, Operator
from referrals.models import Referral


class SurveySettings(models.Model):
    operator = models.OneToOneField(
        Operator, on_delete=models.CASCADE, related_name="survey_settings"
    )
    enabled = models.BooleanField(_("send brugerundersøgelse"), default=True)
    delay_days = models.PositiveSmallIntegerField(_("dage efter vejledningen"), default=3)
    interval_months = models.PositiveSmallIntegerField(
        _("højst én undersøgelse pr. virksomhed/iværksætter pr. antal måneder"), default=6
    )
    reminder_after_days = models.PositiveSmallIntegerField(_("påmindelse efter dage"), default=7)
    valid_days = models.PositiveSmallIntegerField(_("linket gælder i dage"), default=30)
    after_referrals = models.BooleanField(
        _("også efter afsluttede henvisninger til os"), default=False
    )

    class Meta:
        verbose_name = _("indstillinger for brugerundersøgelse")
        verbose_name_plural = _("indstillinger for brugerundersøgelse")

    def __str__(self) -> str:
        return str(self.operator)

    def clean(self):
        # Here, not in one form: the managers' page and the back office both validate it.
        if self.reminder_after_days >= self.valid_days:
            raise ValidationError(
                {
                    "reminder_after_days": _(
                        "Påmindelsen skal sendes, før linket udløber: færre dage end linket gælder."
                    )
                }
            )


def settings_for(operator: Operator) -> SurveySettings:
    """The operator's saved settings, or the defaults (an unsaved instance)."""
    try:
        return operator.survey_settings
    except SurveySettings.DoesNotExist:
        return SurveySettings(operator=operator)


class SurveyInvitation(models.Model):
    class Language(models.TextChoices):
        DA = "da", _("Dansk")
        EN = "en", _("Engelsk")

    # The operator whose guidance is evaluated (for a referral: the receiving operator).
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        GuidanceSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    founder = models.ForeignKey(
        Founder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The company's contact person the invitation went to (the unsubscribe link's person).
    contact = models.ForeignKey(
        ContactPerson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    # Personal data: blanked when the invitation is answered, declined or expires.
    recipient_email = models.EmailField(blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.DA)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first e-mail's token when the reminder carried a new one: both links work.
    previous_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The recipient said no more surveys (the e-mail's unsubscribe link).
    declined_at = models.DateTimeField(null=True, blank=True)
    evaluation = models.OneToOneField(
        "contracts.Evaluation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation til brugerundersøgelse")
        verbose_name_plural = _("invitationer til brugerundersøgelse")
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(session__isnull=False), name="survey_session_once"
            ),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(referral__isnull=False),
                name="survey_referral_once",
            ),
            models.CheckConstraint(
                condition=Q(session__isnull=True) | Q(referral__isnull=True),
                name="survey_session_or_referral",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "created_at"]),
            models.Index(fields=["founder", "created_at"]),
            models.Index(
                fields=["sent_at"],
                condition=Q(answered_at__isnull=True, reminded_at__isnull=True),
                name="survey_to_remind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator} {self.created_at:%d.%m.%Y}"
