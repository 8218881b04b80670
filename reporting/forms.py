"""Input of the reporting pages: the dashboard's filters, a follow-up period, the manager's
goal comments. Forms shape input only; the rules are in reporting.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.surveys.models import SurveySettings
from crm.forms import DateInput
from crm.models import Municipality


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Fra"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Til"), required=False, widget=DateInput())

    def error_text(self) -> str:
        return " ".join(str(message) for errors in self.errors.values() for message in errors)


class DashboardFilter(PeriodForm):
    """A contract dashboard as of ``end`` (its history from ``start``), for the contract in
    total or for one of its municipalities."""

    municipality = forms.ModelChoiceField(
        label=_("Kommune"),
        queryset=Municipality.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("Alle"),
    )

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = contract.municipalities.order_by("name")

    def values(self) -> tuple:
        """(start, end, municipality); what does not validate is left out."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("start"), data.get("end"), data.get("municipality")


class CommentsForm(forms.Form):
    """One comment field per goal of the report's contract."""

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        written = dict(report.comments.values_list("goal_id", "text"))
        self.goals = list(report.contract.goals.all())
        for goal in self.goals:
            self.fields[f"goal_{goal.pk}"] = forms.CharField(
                label=str(goal),
                required=False,
                initial=written.get(goal.pk, ""),
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def comments(self) -> dict[int, str]:
        return {goal.pk: self.cleaned_data[f"goal_{goal.pk}"] for goal in self.goals}


class AccessLogFilter(PeriodForm):
    """An access log's filters: a user (name, user name or e-mail), a subject (what it is
    depends on the log) and a period."""

    user = forms.CharField(label=_("Bruger"), required=False, max_length=100)
    subject = forms.CharField(required=False, max_length=100)

    field_order = ["user", "subject", "start", "end"]

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].label = log.subject_label
        if not log.user_path:  # a failed login names the account tried, not a user
            self.fields["user"].label = _("Brugernavn")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("Periodens fra-dato ligger efter til-datoen."))
        return data


class SurveySettingsForm(forms.ModelForm):
    """The operator's own user survey, as its managers set it up (issue 17)."""

    delay_days = forms.IntegerField(
        label=_("Dage efter vejledningen"),
        min_value=0,
        max_value=60,
        help_text=_("Spørgeskemaet sendes så mange dage efter en fuld vejledning (0–60)."),
    )
    interval_months = forms.IntegerField(
        label=_("Højst én undersøgelse pr. virksomhed eller iværksætter pr. (måneder)"),
        min_value=0,
        max_value=36,
        help_text=_("0: hver fulde vejledning kan give et spørgeskema."),
    )
    reminder_after_days = forms.IntegerField(
        label=_("Påmindelse efter (dage)"),
        min_value=1,
        max_value=89,
        help_text=_("Én påmindelse, hvis der ikke er svaret så mange dage efter udsendelsen."),
    )
    valid_days = forms.IntegerField(
        label=_("Linket gælder i (dage)"), min_value=1, max_value=90, help_text=_("1–90 dage.")
    )

    class Meta:
        model = SurveySettings
        fields = [
            "enabled",
            "delay_days",
            "interval_months",
            "reminder_after_days",
            "valid_days",
            "after_referrals",
        ]
        labels = {
            "enabled": _("Send spørgeskemaet efter fulde vejledninger"),
            "after_referrals": _("Send det også efter afsluttede henvisninger til os"),
        }
