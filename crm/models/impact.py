"""A company's figures year by year (issue 16, "Company impact over time"): full-time
equivalents, revenue, gross profit, export share and status, each with where it came from.
Jobs created and survival follow from them (``crm.impact``); the indicators of seed 001 §7 and
seed 002 goals 6b/6c count them (``contracts.indicators``)."""

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.subjects import Company


class Source(models.TextChoices):
    """Where a figure came from, in the order of trust: the register's annual accounts are
    filed and checked, a figure the company reports is its own word, an imported one is
    somebody's copy (``crm.impact.RANK``)."""

    REGISTER = "register", _("CVR-registeret")
    REPORTED = "reported", _("Oplyst af virksomheden")
    IMPORTED = "imported", _("Importeret")


# The figures of a year; each has a source column named ``<figure>_source``.
FIGURES = ("employees_fte", "revenue", "gross_profit", "export_share", "status")


def source_field():
    return models.CharField(_("kilde"), max_length=8, choices=Source.choices, blank=True)


class CompanyYear(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="years", verbose_name=_("virksomhed")
    )
    year = models.PositiveSmallIntegerField(
        _("år"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    employees_fte = models.DecimalField(
        _("årsværk"),
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    revenue = models.BigIntegerField(_("omsætning (kr.)"), null=True, blank=True)
    gross_profit = models.BigIntegerField(_("bruttofortjeneste (kr.)"), null=True, blank=True)
    export_share = models.DecimalField(
        _("eksportandel (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    status = models.CharField(_("status"), max_length=8, choices=Company.Status.choices, blank=True)
    employees_fte_source = source_field()
    revenue_source = source_field()
    gross_profit_source = source_field()
    export_share_source = source_field()
    status_source = source_field()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "-year"]
        verbose_name = _("regnskabsår")
        verbose_name_plural = _("regnskabsår")
        constraints = [
            models.UniqueConstraint(fields=["company", "year"], name="company_year_unique")
        ]
        indexes = [models.Index(fields=["year", "company"], name="company_year_year")]

    def __str__(self) -> str:
        return f"{self.company} {self.year}"

    def source_of(self, figure: str) -> str:
        return getattr(self, f"{figure}_source")


pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())(
    CompanyYear
)
