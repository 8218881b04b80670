"""Forms shape input only: the rules live in crm.services, the scope in the querysets."""

import datetime

from cryptography.fernet import InvalidToken
from django import forms
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import cpr
from crm.concurrency import StaleRecord, version
from crm.consents import BACKDATE_DAYS
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    IndustryCode,
    Municipality,
    Network,
    Operator,
    ProgrammeEnrolment,
    Theme,
)
from crm.register_sync import check_p_number_free
from crm.services import operators_of, session_rule_errors, works_for_hub
from crm.templatetags.knudepunkt import person


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class VersionedModelForm(forms.ModelForm):
    """An edit form carries the version of the record it shows (``crm.concurrency``): the
    service refuses a save based on a version that is no longer stored, naming what changed."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = version(self.instance)
        else:
            del self.fields["version"]

    def rebase(self, error: StaleRecord) -> None:
        """After the refusal: the form takes the current version and, in the fields the user
        left as they were, the values saved meanwhile. Saving again keeps both changes."""
        data = self.data.copy()
        data[self.add_prefix("version")] = error.version
        for change in error.changes:
            field, key = self.fields.get(change.name), self.add_prefix(change.name)
            if field is None or field.disabled:
                continue
            posted = field.widget.value_from_datadict(self.data, self.files, key)
            if not field.has_changed(change.old_value, posted):
                data.setlist(key, as_posted(change.new_value))
        self.data = data


def as_posted(value) -> list[str]:
    """A stored value as a browser would post it."""
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, datetime.date):
        return [value.isoformat()]
    return ["" if value is None else str(value)]


def changeable_municipalities(user):
    return Municipality.objects.for_user(user, "change_records").order_by("name")


class CompanyForm(VersionedModelForm):
    class Meta:
        model = Company
        fields = [
            "cvr",
            "p_number",
            "name",
            "address",
            "postcode",
            "city",
            "municipality",
            "industry_code",
            "employees",
            "employees_known_on",
            "started_on",
            "segment",
            "growth_potential",
            "rural",
            # From the company register when looked up (crm.register), else typed.
            "status",
            "company_form",
            "employees_band",
            "industry_code_db07",
            "advertising_protected",
            "register_source",
        ]
        widgets = {
            "employees_known_on": DateInput(),
            "started_on": DateInput(),
            "register_source": forms.HiddenInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = changeable_municipalities(user)
        self.fields["industry_code"].queryset = IndustryCode.objects.exclude(
            level=IndustryCode.Level.SECTION
        )
        self.fields["status"].required = False  # active unless the register says otherwise
        if self.instance.pk:
            # A wrong CVR number is corrected by merging the two companies, never by editing.
            self.fields["cvr"].disabled = True
            self.fields["cvr"].help_text = _("CVR-nummeret kan ikke ændres efter oprettelsen.")
        # The segment is the hubs' (do_update_company): others see it but cannot change it.
        self.fields["segment"].disabled = not works_for_hub(user)

    def clean_status(self):
        return self.cleaned_data["status"] or Company.Status.ACTIVE

    def clean_p_number(self):
        p_number = self.cleaned_data["p_number"]
        check_p_number_free(p_number, self.instance)
        return p_number

    def validate_unique(self):
        # A duplicate CVR is reported by the service, with a link to the existing record.
        pass


class NoEchoInput(forms.TextInput):
    """A text input that never renders its value back, so a CPR number typed into a form
    that has errors is not repeated in the answer."""

    def format_value(self, value):
        return None


# A valid CPR number typed into a founder form that failed on something else is kept in the
# answer as a hidden value: encrypted with the CPR key (crm.cpr) and signed, so the page never
# holds it in plaintext and a posted value cannot be forged. It lapses after an hour.
KEPT_CPR_SALT = "crm.founder-form.cpr"
KEPT_CPR_MAX_AGE = 3600
KEPT_CPR_NOTE = _(
    "Det CPR-nummer, du skrev, er gemt (krypteret). Lad feltet stå tomt for at beholde det, "
    "eller skriv et andet."
)


def keep_cpr(cpr_number: str) -> str:
    return signing.dumps(cpr.encrypt(cpr_number).decode(), salt=KEPT_CPR_SALT)


def kept_cpr(token: str) -> str:
    """The CPR number in ``token``, or "" when it is missing, forged or lapsed."""
    try:
        encrypted = signing.loads(token, salt=KEPT_CPR_SALT, max_age=KEPT_CPR_MAX_AGE)
        return cpr.decrypt(encrypted.encode())
    except (signing.BadSignature, InvalidToken, ValueError, TypeError):
        return ""


# The operators' own user survey (contracts.surveys) e-mails only those who said yes.
SURVEY_CONSENT_HELP = _(
    "Personen har sagt ja til et kort spørgeskema pr. e-mail om vejledningen (kan altid afmeldes)."
)


class FounderForm(VersionedModelForm):
    cpr_number = forms.CharField(
        label=_("CPR-nummer"),
        max_length=11,
        help_text=_("DDMMÅÅ-XXXX. Gemmes krypteret og vises derefter maskeret."),
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    cpr_kept = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Founder
        fields = [
            "name",
            "address",
            "postcode",
            "city",
            "phone",
            "email",
            "survey_consent",
            "education",
            "municipality",
            "born_abroad",
        ]
        help_texts = {
            "born_abroad": _("Frivilligt, kun til programmers indberetning (fx EU-programmer)."),
            "survey_consent": SURVEY_CONSENT_HELP,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = changeable_municipalities(user)
        if self.instance.pk:
            del self.fields["cpr_number"], self.fields["cpr_kept"]
            return
        self.order_fields(["cpr_number"])
        if self.is_bound and self.kept_number():
            self.fields["cpr_number"].required = False
            self.fields["cpr_number"].help_text = KEPT_CPR_NOTE

    def kept_number(self) -> str:
        return kept_cpr(self.data.get(self.add_prefix("cpr_kept"), ""))

    def clean_cpr_number(self):
        typed = self.cleaned_data["cpr_number"]
        number = cpr.clean_cpr(typed) if typed else self.kept_number()
        if not number:
            raise forms.ValidationError(self.fields["cpr_number"].error_messages["required"])
        self.data = self.data.copy()  # the answer to a failed save carries it, encrypted
        self.data[self.add_prefix("cpr_kept")] = keep_cpr(number)
        self["cpr_number"].help_text = KEPT_CPR_NOTE  # the bound field copied the first one
        return number

    def clean(self):
        data = super().clean()
        data.pop("cpr_kept", None)  # read in clean_cpr_number; not a field of the founder
        return data


TIER_BY_OPERATOR_KIND = {
    Operator.Kind.LOCAL: GuidanceSession.Tier.LOCAL,
    Operator.Kind.FOCUSED: GuidanceSession.Tier.FOCUSED,
    Operator.Kind.HUB: GuidanceSession.Tier.SPECIALISED,
}


class ColleagueChoiceField(forms.ModelMultipleChoiceField):
    """Colleagues by full name as everywhere else (``person``: the login name only for an
    account without a name), as checkboxes that crm/static/js/forms.js gives a filter box."""

    widget = forms.CheckboxSelectMultiple(attrs={"class": "picker"})

    def label_from_instance(self, user) -> str:
        return person(user)


class SessionForm(VersionedModelForm):
    consultants = ColleagueChoiceField(
        label=_("Konsulenter"), queryset=get_user_model().objects.none(), required=False
    )
    themes = forms.MultipleChoiceField(
        label=_("Temaer"),
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = GuidanceSession
        fields = [
            "date",
            "operator",
            "consultants",
            "tier",
            "channel",
            "kind",
            "themes",
            "hours_before",
            "hours_during",
            "hours_after",
            "content",
            "screening_done",
            "screening_result",
            "follow_up_on",
        ]
        widgets = {
            "date": DateInput(),
            "follow_up_on": DateInput(),
            "content": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, last_themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        operators = operators_of(user)
        self.fields["operator"].queryset = operators
        self.fields["consultants"].queryset = (
            get_user_model()
            .objects.filter(memberships__operator__in=operators)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["consultants"].help_text = _("Tom: dig selv.")
        if self.instance.pk:  # a correction: the operator that logged the session stays
            self.fields["operator"].disabled = True
        operator = operators.first()
        if not self.is_bound and operator:
            self.initial.setdefault("date", timezone.localdate())
            self.initial.setdefault("operator", operator)
            self.initial.setdefault("tier", TIER_BY_OPERATOR_KIND.get(operator.kind))
            self.initial.setdefault("channel", GuidanceSession.Channel.VISIT)
            self.initial.setdefault("themes", list(last_themes))

    def clean(self):
        data = super().clean()
        stored_date = self.instance.date if self.instance.pk else None  # before _post_clean
        errors = session_rule_errors(data, today=timezone.localdate(), stored_date=stored_date)
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class ConsentForm(forms.ModelForm):
    """Who gave the consent (a contact person of the company; a founder gives its own), how,
    when and to whom. The rules are ``crm.consents.do_record_consent``'s."""

    class Meta:
        model = Consent
        fields = ["given_on", "method", "given_by", "document", "scope", "operators"]
        widgets = {
            "given_on": DateInput(),
            "method": forms.RadioSelect,
            "operators": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, subject, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].required = True
        self.fields["method"].choices = Consent.Method.choices
        self.fields["given_on"].help_text = _("Senest i dag og højst %(days)s dage tilbage.") % {
            "days": BACKDATE_DAYS
        }
        self.fields["document"].help_text = _("Skal uploades, når samtykket er en blanket.")
        self.fields["operators"].queryset = Operator.objects.filter(active=True).exclude(
            kind=Operator.Kind.OVERSIGHT
        )
        if isinstance(subject, Company):
            self.fields["given_by"].required = True
            self.fields["given_by"].queryset = ContactPerson.objects.visible_to(
                user, "change_records"
            ).filter(company=subject)
            self.fields["given_by"].help_text = _("Mangler personen? Opret kontaktpersonen først.")
        else:
            del self.fields["given_by"]
        self.initial.setdefault("given_on", timezone.localdate())


class ConsentCorrectionForm(ConsentForm):
    """A correction: a new consent filled in from the one it replaces, with the reason."""

    correction_reason = forms.CharField(
        label=_("Hvorfor rettes samtykket?"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, corrects: Consent, **kwargs):
        initial = {
            "given_on": corrects.given_on,
            "method": corrects.method,
            "given_by": corrects.given_by_id,
            "scope": corrects.scope,
            "operators": list(corrects.operators.all()),
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["document"].help_text = _("Tom: den uploadede blanket gælder fortsat.")


class ContactForm(VersionedModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "role", "education", "phone", "email", "survey_consent", "left_on"]
        help_texts = {"survey_consent": SURVEY_CONSENT_HELP}
        widgets = {"left_on": DateInput()}


class ProjectForm(VersionedModelForm):
    class Meta:
        model = DevelopmentProject
        fields = [
            "title",
            "identified_on",
            "funding",
            "application_help",
            "amount_applied",
            "amount_granted",
            "status",
        ]
        widgets = {"identified_on": DateInput()}


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = ProgrammeEnrolment
        fields = ["programme", "growth_level", "started_on"]
        widgets = {"started_on": DateInput()}


class NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = ["name", "kind", "municipality", "municipalities", "started_on"]
        widgets = {"started_on": DateInput(), "municipalities": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = changeable_municipalities(user)
        self.fields["municipalities"].queryset = Municipality.objects.for_user(
            user, "view_records"
        ).order_by("name")


class JoinNetworkForm(forms.Form):
    network = forms.ModelChoiceField(label=_("Netværk"), queryset=Network.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = Network.objects.visible_to(user, "change_records")


class LinkCompanyForm(forms.Form):
    cvr = forms.CharField(label=_("CVR-nummer på den startede virksomhed"), max_length=8)
    started_on = forms.DateField(label=_("Startet den"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_cvr(self):
        company = Company.objects.visible_to(self.user).filter(cvr=self.cleaned_data["cvr"]).first()
        if company is None:
            raise forms.ValidationError(
                _("Ingen virksomhed med dette CVR-nummer i dine kommuner. Opret den først.")
            )
        return company


class SessionFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Kommune"), queryset=Municipality.objects.none(), required=False
    )
    tier = forms.ChoiceField(
        label=_("Niveau"), choices=[("", "–"), *GuidanceSession.Tier.choices], required=False
    )
    theme = forms.ChoiceField(label=_("Tema"), choices=[("", "–"), *Theme.choices], required=False)
    date_from = forms.DateField(label=_("Fra"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Til"), required=False, widget=DateInput())
    consultant = forms.ModelChoiceField(
        label=_("Konsulent"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.for_user(
            user, "view_records"
        ).order_by("name")
        self.fields["consultant"].queryset = (
            get_user_model()
            .objects.filter(memberships__operator__in=operators_of(user))
            .distinct()
            .order_by("first_name")
        )

    def apply(self, sessions):
        data = self.cleaned_data if self.is_valid() else {}
        filters = {
            "municipality": data.get("municipality"),
            "tier": data.get("tier"),
            "themes__contains": [data["theme"]] if data.get("theme") else None,
            "date__gte": data.get("date_from"),
            "date__lte": data.get("date_to"),
            "consultants": data.get("consultant"),
        }
        return sessions.filter(**{key: value for key, value in filters.items() if value})


class ErasureForm(forms.Form):
    """A person's request to be erased (crm.retention.do_request_erasure)."""

    reason = forms.CharField(
        label=_("Begrundelse"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Hvornår og hvordan bad personen om at blive slettet? Skriv ikke navn, "
            "CPR-nummer eller andre personoplysninger: begrundelsen gemmes som log."
        ),
    )
