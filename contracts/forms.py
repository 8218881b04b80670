from django import forms
from django.utils.translation import gettext_lazy as _

from contracts import services
from contracts.indicators import CATALOGUE
from contracts.models import BudgetLine, Contract, Goal, PaymentRule
from crm.forms import DateInput
from crm.services import DomainError


class ContractForm(forms.ModelForm):
    """A contract's terms; the parties, oversight body and municipalities offered are those
    of the municipalities the user manages, plus what the contract has already."""

    class Meta:
        model = Contract
        fields = [
            "kind",
            "title",
            "status",
            "parties",
            "oversight",
            "municipalities",
            "starts_on",
            "ends_on",
            "document",
            "budget",
            "hourly_rate",
        ]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "parties": forms.CheckboxSelectMultiple(),
            "municipalities": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        operators = services.attachable_operators(user, self.instance)
        self.fields["parties"].queryset = operators
        self.fields["oversight"].queryset = operators
        municipalities = services.attachable_municipalities(user, self.instance)
        self.fields["municipalities"].queryset = municipalities


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
        help_texts = {"params": _('Indikatorens parametre som JSON, fx {"tier": "local"}.')}

    def clean(self):
        data = super().clean()
        if "params" in data:
            data["params"] = data["params"] or {}  # an empty box: no parameters
        if data.get("indicator") and "params" in data:
            try:
                services.check_goal_indicator(data["indicator"], data["params"])
            except DomainError as error:
                self.add_error("params", str(error))
        return data


class PaymentRuleForm(forms.ModelForm):
    class Meta:
        model = PaymentRule
        fields = [
            f.name for f in PaymentRule._meta.concrete_fields if f.name not in {"id", "contract"}
        ]


class BudgetLineForm(forms.ModelForm):
    """A budget line for the whole contract (no municipality) or one of its municipalities."""

    class Meta:
        model = BudgetLine
        fields = ["name", "municipality", "amount"]

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = contract.municipalities.all()


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
