"""Forms of events and their participants: they shape input only (the rules live in
crm.events, the scope in the querysets)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import cpr
from crm.forms import DateInput, NoEchoInput, VersionedModelForm, changeable_municipalities
from crm.models import Company, Event, EventParticipant, Founder, Municipality, Operator, Theme
from crm.services import operators_of


class EventForm(VersionedModelForm):
    themes = forms.MultipleChoiceField(
        label=_("Temaer"),
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "kind",
            "date",
            "place",
            "municipality",
            "operator",
            "partners",
            "themes",
            "hours",
            "description",
        ]
        widgets = {
            "date": DateInput(),
            "partners": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        operators = operators_of(user)
        self.fields["operator"].queryset = operators
        self.fields["municipality"].queryset = changeable_municipalities(user)
        self.fields["partners"].queryset = (
            Operator.objects.filter(active=True)
            .exclude(kind=Operator.Kind.OVERSIGHT)
            .exclude(pk__in=operators)
        )
        self.fields["partners"].help_text = _("Andre operatører, der holder arrangementet med jer.")
        if self.instance.pk:  # the organiser and the municipality stay (crm.events)
            self.fields["operator"].disabled = True
            self.fields["municipality"].disabled = True
            # Partners of other operators' staff are kept, though not offered to this user.
            self.fields["partners"].queryset = Operator.objects.filter(active=True).exclude(
                kind=Operator.Kind.OVERSIGHT
            )
        elif not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())
            self.initial.setdefault("operator", operators.first())


NOT_FOUND = {
    Company: _(
        "Ingen virksomhed med dette CVR-nummer i dine kommuner. Opret den først, eller tilmeld "
        "deltageren som person."
    ),
    Founder: _(
        "Ingen iværksætter med dette CPR-nummer i dine kommuner. Opret iværksætteren først, "
        "eller tilmeld deltageren som person."
    ),
}


class ParticipantForm(forms.Form):
    """A company by its CVR number, a founder by its CPR number (both registered already, in
    the user's municipalities) or a person by name, e-mail and municipality. The CPR number
    is never shown again (``NoEchoInput``) and the view keeps it out of error reports."""

    kind = forms.ChoiceField(
        label=_("Deltager"),
        choices=EventParticipant.Kind.choices,
        widget=forms.RadioSelect,
        initial=EventParticipant.Kind.COMPANY,
    )
    cvr = forms.CharField(label=_("CVR-nummer"), max_length=8, required=False)
    cpr_number = forms.CharField(
        label=_("CPR-nummer"),
        max_length=11,
        required=False,
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    name = forms.CharField(label=_("Navn"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    municipality = forms.ModelChoiceField(
        label=_("Kommune"), queryset=Municipality.objects.all(), required=False
    )
    # Seed 004's breakdowns, as the person gives them (a founder's follow from its record).
    sex = forms.ChoiceField(
        label=_("Køn"), choices=[("", _("Ikke oplyst")), *Founder.Sex.choices], required=False
    )
    age_band = forms.ChoiceField(
        label=_("Aldersgruppe"),
        choices=[("", _("Ikke oplyst")), *EventParticipant.AgeBand.choices],
        required=False,
    )
    born_abroad = forms.NullBooleanField(
        label=_("Født i udlandet"),
        required=False,
        widget=forms.Select(
            choices=[("unknown", _("Ikke oplyst")), ("true", _("Ja")), ("false", _("Nej"))]
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        needed = {
            EventParticipant.Kind.COMPANY: ["cvr"],
            EventParticipant.Kind.FOUNDER: ["cpr_number"],
            EventParticipant.Kind.PERSON: ["name", "municipality"],
        }.get(kind, [])
        missing = [name for name in needed if not data.get(name)]
        for name in missing:
            self.add_error(name, self.fields[name].error_messages["required"])
        if missing:
            return data
        if kind == EventParticipant.Kind.COMPANY:
            data["company"] = self.registered(Company, "cvr", cvr=data["cvr"].strip())
        elif kind == EventParticipant.Kind.FOUNDER:
            data["founder"] = self.founder(data["cpr_number"])
        return data

    def registered(self, model, field: str, **lookup):
        """The company or founder in the user's municipalities, or an error on ``field``."""
        found = model.objects.visible_to(self.user).filter(**lookup).first()
        if found is None:
            self.add_error(field, NOT_FOUND[model])
        return found

    def founder(self, typed: str):
        try:
            number = cpr.clean_cpr(typed)
        except forms.ValidationError as error:
            self.add_error("cpr_number", error)
            return None
        return self.registered(Founder, "cpr_number", cpr_hash=cpr.lookup_hash(number))

    def participant(self) -> dict:
        """The service's keyword arguments for the chosen kind."""
        data = self.cleaned_data
        if data["kind"] == EventParticipant.Kind.COMPANY:
            return {"company": data["company"]}
        if data["kind"] == EventParticipant.Kind.FOUNDER:
            return {"founder": data["founder"]}
        fields = ("name", "email", "municipality", "sex", "age_band", "born_abroad")
        return {k: data[k] for k in fields}


class AttendanceForm(forms.Form):
    present = forms.ModelMultipleChoiceField(
        queryset=EventParticipant.objects.none(), required=False
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = event.participants.all()
