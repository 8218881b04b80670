"""What the company register (CVR) adds to a company: its production units, and where the
nightly comparison with the register stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.subjects import Company
from crm.validators import validate_p_number


class ProductionUnit(models.Model):
    """A production unit (P-number) of a company as the register lists it. A P-number belongs
    to one company in the whole CRM."""

    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="production_units",
        verbose_name=_("virksomhed"),
    )
    p_number = models.CharField(
        _("P-nummer"),
        max_length=10,
        unique=True,
        validators=[validate_p_number],
        error_messages={"unique": _("P-nummeret tilhører allerede en anden virksomhed.")},
    )
    name = models.CharField(_("navn"), max_length=200, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("postnummer"), max_length=4, blank=True)
    city = models.CharField(_("by"), max_length=100, blank=True)
    main = models.BooleanField(_("hovedafdeling"), default=False)

    class Meta:
        ordering = ["-main", "p_number"]
        verbose_name = _("produktionsenhed")
        verbose_name_plural = _("produktionsenheder")

    def __str__(self) -> str:
        return f"P {self.p_number} {self.name}".strip()


class RegisterRefresh(models.Model):
    """The one row that says how far the nightly refresh got: the next run starts after
    ``after_company_id``, so an interrupted run resumes instead of starting over."""

    after_company_id = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("opdatering fra CVR")
        verbose_name_plural = _("opdateringer fra CVR")

    def __str__(self) -> str:
        return f"after company {self.after_company_id}"

    @classmethod
    def state(cls) -> "RegisterRefresh":
        return cls.objects.select_for_update().get_or_create(pk=1)[0]
