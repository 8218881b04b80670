from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.models import Municipality, Operator, Theme
from crm.services import operators_of
from referrals.models import Adviser, Referral


class ReferralForm(forms.Form):
    sender_operator = forms.ModelChoiceField(label=_("Fra"), queryset=Operator.objects.none())
    target_operator = forms.ModelChoiceField(
        label=_("Til operatør (fx Erhvervshuset)"),
        queryset=Operator.objects.none(),
        required=False,
    )
    target_adviser = forms.ModelChoiceField(
        label=_("eller til ekstern rådgiver"),
        queryset=Adviser.objects.filter(active=True),
        required=False,
    )
    reason = forms.CharField(label=_("Begrundelse"), widget=forms.Textarea(attrs={"rows": 3}))
    themes = forms.MultipleChoiceField(
        label=_("Temaer"),
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    after_screening = forms.BooleanField(label=_("Efter Væksthjulet-screening"), required=False)

    def __init__(self, *args, user, subject, **kwargs):
        super().__init__(*args, **kwargs)
        own = operators_of(user)
        self.fields["sender_operator"].queryset = own
        self.fields["sender_operator"].initial = own.first()
        self.fields["target_operator"].queryset = Operator.objects.filter(
            active=True,
            municipalities=subject.municipality,
            kind__in=[Operator.Kind.HUB, Operator.Kind.FOCUSED],
        ).exclude(pk__in=own.values("pk"))

    def clean(self):
        data = super().clean()
        if bool(data.get("target_operator")) == bool(data.get("target_adviser")):
            raise forms.ValidationError(_("Vælg enten en operatør eller en ekstern rådgiver."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Begrundelse for afvisning"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Ansvarlig"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(memberships__operator=referral.target_operator)
            .distinct()
            .order_by("first_name", "username")
        )


class UptakeForm(forms.Form):
    uptake = forms.ChoiceField(
        label=_("Har virksomheden brugt rådgivningen?"), choices=Referral.Uptake.choices
    )


class QueueFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Kommune"), required=False, queryset=Municipality.objects.none()
    )
    theme = forms.ChoiceField(label=_("Tema"), choices=[("", "–"), *Theme.choices], required=False)
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Åbne")), *Referral.State.choices],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.for_user(
            user, "triage_referrals"
        ).order_by("name")

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "municipality": data.get("municipality"),
            "theme": data.get("theme"),
            "states": [data["state"]] if data.get("state") else None,
        }
