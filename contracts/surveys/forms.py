"""The questionnaire: the national evaluation's four questions, a comment, and whether the
answer may be kept with the respondent's company or name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Evaluation
from contracts.surveys.services import Answer
from referrals.models import Referral

NPS_CHOICES = [(str(score), str(score)) for score in range(11)]


class AnswerForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Hvor tilfreds er du med konsulentens faglige kompetencer?"),
        choices=Evaluation.Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Vælg, hvor tilfreds du er.")},
    )
    nps = forms.TypedChoiceField(
        label=_(
            "Hvor sandsynligt er det, at du vil anbefale vejledningen til andre? "
            "(0 = slet ikke, 10 = meget sandsynligt)"
        ),
        choices=NPS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={
            "required": _("Vælg et tal fra 0 til 10."),
            "invalid_choice": _("Vælg et tal fra 0 til 10."),
        },
    )
    effect = forms.ChoiceField(
        label=_("I hvilken grad forventer du, at vejledningen får en positiv effekt for dig?"),
        choices=Evaluation.Effect.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Vælg, hvilken effekt du forventer.")},
    )
    referral_used = forms.ChoiceField(
        label=_("Har du benyttet den eksterne rådgivning, du blev henvist til?"),
        choices=Referral.Uptake.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Vælg, om du har brugt rådgivningen.")},
    )
    comment = forms.CharField(
        label=_("Kommentar (frivillig)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Skriv ikke oplysninger om andre personer."),
    )
    keep_identity = forms.BooleanField(
        label=_("Mit svar må gemmes sammen med min virksomhed/mit navn"),
        required=False,
        help_text=_("Uden flueben gemmes svaret anonymt."),
    )

    def __init__(self, *args, ask_referral: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_referral:  # asked only when there is a referral to ask about
            del self.fields["referral_used"]

    def answer(self) -> Answer:
        data = self.cleaned_data
        return Answer(
            satisfaction=data["satisfaction"],
            nps=data["nps"],
            effect=data["effect"],
            referral_used=data.get("referral_used", ""),
            comment=data["comment"],
            keep_identity=data["keep_identity"],
        )
