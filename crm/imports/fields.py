"""The fields of each kind of import and the column names of the shared erhvervsservice
CRM's export they are pre-mapped from."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from crm.models import ImportBatch

Kind = ImportBatch.Kind


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


SUBJECT_FIELDS = [
    Field("cvr", _("CVR-nummer"), ("cvr-nr", "cvr-nr.", "cvr nummer", "cvrnr", "cvr")),
    Field("cpr", _("CPR-nummer"), ("cpr-nr", "cpr-nr.", "cpr nummer", "cprnr", "cpr")),
]
FIELDS: dict[str, list[Field]] = {
    Kind.COMPANIES: [
        Field("cvr", _("CVR-nummer"), SUBJECT_FIELDS[0].aliases, required=True),
        Field("p_number", _("P-nummer"), ("p-nr", "p-nr.", "p-nummer", "pnr", "produktionsenhed")),
        Field("name", _("Navn"), ("virksomhedsnavn", "navn", "firmanavn", "virksomhed")),
        Field("address", _("Adresse"), ("adresse", "vejnavn og nr.", "gade")),
        Field("postcode", _("Postnummer"), ("postnr", "postnr.", "postnummer")),
        Field("city", _("By"), ("by", "postdistrikt", "bynavn")),
        Field("municipality", _("Kommune"), ("kommune", "kommunekode", "kommunenr")),
        Field("employees", _("Antal ansatte"), ("antal ansatte", "ansatte", "årsværk")),
        Field("started_on", _("Startdato"), ("startdato", "stiftet", "etableringsdato")),
    ],
    Kind.CONTACTS: [
        Field("cvr", _("CVR-nummer"), SUBJECT_FIELDS[0].aliases, required=True),
        Field("name", _("Navn"), ("kontaktperson", "navn", "kontaktnavn"), required=True),
        Field("role", _("Rolle"), ("rolle", "stilling", "titel")),
        Field("phone", _("Telefon"), ("telefon", "tlf", "tlf.", "mobil")),
        Field("email", _("E-mail"), ("e-mail", "email", "mail")),
        Field("education", _("Uddannelse"), ("uddannelse",)),
    ],
    Kind.FOUNDERS: [
        Field("cpr", _("CPR-nummer"), SUBJECT_FIELDS[1].aliases, required=True),
        Field("name", _("Navn"), ("navn", "iværksætter", "fulde navn")),
        Field("address", _("Adresse"), ("adresse",)),
        Field("postcode", _("Postnummer"), ("postnr", "postnr.", "postnummer")),
        Field("city", _("By"), ("by", "postdistrikt")),
        Field("phone", _("Telefon"), ("telefon", "tlf", "tlf.", "mobil")),
        Field("email", _("E-mail"), ("e-mail", "email", "mail")),
        Field("education", _("Uddannelse"), ("uddannelse",)),
        Field("municipality", _("Kommune"), ("kommune", "kommunekode", "bopælskommune")),
    ],
    Kind.SESSIONS: [
        *SUBJECT_FIELDS,
        Field("date", _("Dato"), ("dato", "vejledningsdato", "mødedato"), required=True),
        Field("tier", _("Niveau"), ("vejledningstype", "niveau", "vejledningsniveau"), True),
        Field("channel", _("Kanal"), ("kanal", "kontaktform", "henvendelsesform"), True),
        Field("kind", _("Art"), ("art", "type", "kontakttype")),
        Field("themes", _("Temaer"), ("temaer", "tema", "emner", "vejledningstema")),
        Field("hours_before", _("Timer før"), ("timer før", "forberedelse")),
        Field("hours_during", _("Timer under"), ("timer under", "timer", "varighed")),
        Field("hours_after", _("Timer efter"), ("timer efter", "efterbehandling")),
        Field("content", _("Hovedindhold"), ("indhold", "hovedindhold", "notat", "referat")),
    ],
    Kind.REFERRALS: [
        *SUBJECT_FIELDS,
        Field("sent_on", _("Henvist den"), ("dato", "henvisningsdato", "henvist"), True),
        Field("target", _("Henvist til"), ("henvist til", "modtager", "operatør"), True),
        Field("reason", _("Begrundelse"), ("begrundelse", "årsag", "notat"), True),
        Field("themes", _("Temaer"), ("temaer", "tema", "emner")),
    ],
    Kind.CONSENTS: [
        *SUBJECT_FIELDS,
        Field("given_on", _("Givet den"), ("dato", "samtykkedato", "givet"), True),
        Field("scope", _("Givet til"), ("omfang", "givet til", "samtykke til")),
        Field("method", _("Givet som"), ("form", "givet som", "samtykkeform")),
    ],
}


def normal(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def suggest_mapping(kind: str, columns: list[str]) -> dict[str, str]:
    """field -> column, for the columns whose name is the field's or one of its aliases."""
    by_name = {normal(column): column for column in columns if column}
    mapping = {}
    for spec in FIELDS[kind]:
        for name in (spec.name, normal(str(spec.label)), *spec.aliases):
            if normal(name) in by_name:
                mapping[spec.name] = by_name[normal(name)]
                break
    return mapping
