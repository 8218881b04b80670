"""The follow-up form: the figures a company reports for a year (the rules live in
crm.impact)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Company, CompanyYear


class CompanyYearForm(forms.ModelForm):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "–"), *Company.Status.choices], required=False
    )

    class Meta:
        model = CompanyYear
        fields = ["year", "employees_fte", "revenue", "gross_profit", "export_share", "status"]
        localized_fields = ["employees_fte", "revenue", "gross_profit", "export_share"]
        help_texts = {
            "revenue": _("Hele kroner."),
            "employees_fte": _("Fuldtidsstillinger i året (årsværk)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1
        self.fields["year"].max_value = timezone.localdate().year

    def validate_unique(self):
        """A second report for a year updates it (crm.impact.do_record_year)."""
