import inspect

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from contracts import services
from contracts.indicators import CATALOGUE, PARAMETERS, Definition
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


def indicator_choices():
    """The catalogue by label and unit, never by code (called per form: the language)."""
    named = sorted(
        ((name, f"{d.label} ({d.unit})") for name, d in CATALOGUE.items()), key=lambda c: c[1]
    )
    return [("", _("– (milepæl eller indberettet værdi)")), *named]


def parameter_default(definition: Definition, name: str):
    """The value the indicator uses when the goal leaves ``name`` out (``REQUIRED``: none)."""
    default = inspect.signature(definition.function).parameters[name].default
    return REQUIRED if default is inspect.Parameter.empty else default


REQUIRED = object()


def parameter_field(definition: Definition, name: str) -> forms.Field:
    """A labelled field for one of an indicator's parameters (``indicators.PARAMETERS``):
    a choice as a select, several as checkboxes, yes/no as a checkbox, a number as a number.
    Left empty, the parameter is left out and the indicator's default applies."""
    parameter = PARAMETERS[name]
    default = parameter_default(definition, name)
    required = default is REQUIRED
    field_kwargs = {"label": parameter.label, "required": required}
    if default not in (REQUIRED, None, False, ()):
        field_kwargs["help_text"] = format_lazy(
            _("Uden valg: {value}."), value=parameter.describe(default)
        )
    if parameter.kind == "bool":
        return forms.BooleanField(**{**field_kwargs, "required": False})
    if parameter.kind == "int":
        return forms.IntegerField(min_value=1, **field_kwargs)
    if parameter.kind == "choices":
        return forms.MultipleChoiceField(
            choices=parameter.choices, widget=forms.CheckboxSelectMultiple, **field_kwargs
        )
    if required:
        blank = []
    elif "help_text" in field_kwargs:
        blank = [("", _("– (standard)"))]
    else:
        blank = [("", _("– (ingen afgrænsning)"))]
    return forms.ChoiceField(choices=[*blank, *parameter.choices], **field_kwargs)


def name_the_fields(form: forms.Form) -> None:
    """Errors that say which field they are about ("Udfyld “Mål”."), not only where they
    are shown."""
    for field in form.fields.values():
        label = str(field.label).replace("%", "%%")
        messages = {
            "required": _("Udfyld “%(field)s”.") % {"field": label},
            "invalid": _("“%(field)s” er ikke udfyldt rigtigt.") % {"field": label},
            "invalid_choice": _("Vælg en af mulighederne i “%(field)s”.") % {"field": label},
            "invalid_list": _("Vælg en af mulighederne i “%(field)s”.") % {"field": label},
        }
        field.error_messages.update(
            {code: text for code, text in messages.items() if code in field.error_messages}
        )


PARAM_PREFIX = "param_"


class GoalForm(forms.ModelForm):
    """A goal with its indicator by name and unit and the indicator's parameters as labelled
    fields (``param_<name>``), built for the chosen indicator: the posted one, else the
    goal's own. The parameters are gathered into ``params`` and checked against the
    catalogue (``services.check_goal_indicator``)."""

    indicator = forms.ChoiceField(label=_("Indikator"), required=False, choices=indicator_choices)

    class Meta:
        model = Goal
        fields = [
            "number",
            "title",
            "text",
            "indicator",
            "measures",
            "target_kind",
            "target",
            "strict",
            "per_municipality",
            "every_municipality",
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
        labels = {
            "text": _("Kontraktens tekst (citeres på definitionssiden)"),
            "external_value": _("Indberettet værdi"),
        }

    def __init__(self, *args, indicator: str | None = None, refresh_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if indicator is None:
            indicator = self.data.get("indicator", "") if self.is_bound else self.instance.indicator
        self.definition = CATALOGUE.get(indicator)
        self.initial["indicator"] = indicator if self.definition else ""
        own = self.instance.params if indicator == self.instance.indicator else {}
        for name in self.definition.parameters if self.definition else ():
            self.fields[PARAM_PREFIX + name] = parameter_field(self.definition, name)
            if name in own:
                self.initial[PARAM_PREFIX + name] = own[name]
        if refresh_url:  # htmx: choosing another indicator brings its parameter fields
            self.fields["indicator"].widget.attrs.update(
                {
                    "hx-get": refresh_url,
                    "hx-trigger": "change",
                    "hx-target": "#goal-params",
                    "hx-swap": "outerHTML",
                }
            )
        name_the_fields(self)

    def parameter_fields(self):
        return [self[name] for name in self.fields if name.startswith(PARAM_PREFIX)]

    def fields_before_indicator(self):
        return [self[name] for name in ("number", "title", "text")]

    def fields_after_parameters(self):
        before = {"number", "title", "text", "indicator"}
        return [
            self[name]
            for name in self.fields
            if name not in before and not name.startswith(PARAM_PREFIX)
        ]

    def clean(self):
        data = super().clean()
        params = {}
        for name in [key for key in data if key.startswith(PARAM_PREFIX)]:
            value = data.pop(name)
            if value not in (None, "", [], False):
                params[name.removeprefix(PARAM_PREFIX)] = value
        data["params"] = params
        if data.get("indicator"):
            try:
                services.check_goal_indicator(data["indicator"], params)
            except DomainError as error:
                self.add_error("indicator", str(error))
        return data


class GoalTargetsForm(forms.Form):
    """One target per municipality of the goal's contract; an empty field has none (the
    goal's own target applies where it is set per municipality)."""

    def __init__(self, *args, goal: Goal, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipalities = {
            f"municipality_{m.pk}": m for m in goal.contract.municipalities.order_by("name")
        }
        current = {t.municipality_id: t.target for t in goal.local_targets.all()}
        for key, municipality in self.municipalities.items():
            self.fields[key] = forms.DecimalField(
                label=municipality.name,
                required=False,
                max_digits=12,
                decimal_places=2,
                initial=current.get(municipality.pk),
            )
        name_the_fields(self)

    def clean(self):
        """``targets``: Municipality -> Decimal or None, as ``do_set_goal_targets`` takes."""
        data = super().clean()
        return {"targets": {self.municipalities[key]: data.get(key) for key in self.municipalities}}


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
        fields = ["side", "name", "municipality", "amount"]

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
