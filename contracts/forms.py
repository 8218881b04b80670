from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.indicators import CATALOGUE
from contracts.models import BudgetLine, Contract, Goal
from crm.forms import DateInput


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["title", "status", "starts_on", "ends_on", "document", "budget", "hourly_rate"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}


class GoalForm(forms.ModelForm):
    indicator = forms.ChoiceField(
        label=_("Indikator"),
        required=False,
        choices=[("", _("– (milepæl eller indberettet værdi)"))]
        + [(name, name) for name in sorted(CATALOGUE)],
    )

    class Meta:
        model = Goal
        fields = [
            "number",
            "title",
            "text",
            "indicator",
            "params",
            "target_kind",
            "target",
            "per_municipality",
            "starts_on",
            "ends_on",
            "comment",
            "is_milestone",
            "external_value",
            "external_source",
        ]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "text": forms.Textarea(attrs={"rows": 3}),
            "comment": forms.Textarea(attrs={"rows": 2}),
        }


class MilestoneForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Goal.MilestoneStatus.choices)
    evidence = forms.CharField(label=_("Dokumentation"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence_file = forms.FileField(label=_("Bilag"), required=False)


class EvaluationImportForm(forms.Form):
    file = forms.FileField(label=_("CSV- eller XLSX-fil fra brugerevalueringen"))


class EvaluationExportForm(forms.Form):
    start = forms.DateField(label=_("Vejledt fra"), widget=DateInput())
    end = forms.DateField(label=_("Vejledt til"), widget=DateInput())
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX")], initial="csv"
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("Slutdatoen ligger før starten."))
        return data


class SettlementForm(forms.Form):
    start = forms.DateField(label=_("Fra"), widget=DateInput())
    end = forms.DateField(label=_("Til"), widget=DateInput())


class TransferForm(forms.Form):
    from_line = forms.ModelChoiceField(label=_("Fra linje"), queryset=BudgetLine.objects.none())
    to_line = forms.ModelChoiceField(label=_("Til linje"), queryset=BudgetLine.objects.none())
    amount = forms.DecimalField(label=_("Beløb (kr.)"), min_value=1, decimal_places=2)
    reason = forms.CharField(label=_("Begrundelse"))

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        lines = contract.budget_lines.all()
        self.fields["from_line"].queryset = lines
        self.fields["to_line"].queryset = lines
