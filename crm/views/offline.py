"""The phone app for visits without a connection (issue 18): one page, ``/mobil/``, whose own
JavaScript (crm/static/crm/offline/) keeps the consultant's companies, founders and follow-ups
and an outbox on the phone. The records come from the API's offline bundle; this page carries
the words, the limits of the session rules and the user's operators."""

import datetime
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.forms import TIER_BY_OPERATOR_KIND, SessionForm
from crm.models import GuidanceSession
from crm.services import (
    SESSION_MAX_AGE_DAYS,
    SESSION_MAX_HOURS,
    operators_of,
    session_rule_errors,
)
from crm.validators import validate_cvr
from crm.views.records import require_any

# The API the app talks to (crm.api, crm.offline_bundle), by URL name.
API = {
    "bundle": "api-offline",
    "sessions": "api-session-list",
    "from_register": "api-company-from-register",
}


@login_required
def offline_app(request):
    require_any(request.user, "view_records")
    return render(request, "crm/offline_app.html", {"config": app_config(request)})


def app_config(request) -> dict:
    """What app.js needs besides the bundle, as the page's JSON block."""
    operators = operators_of(request.user).order_by("name")
    return {
        "user": request.user.pk,
        "urls": {key: reverse(name) for key, name in API.items()},
        "operators": [
            {"id": o.pk, "name": o.name, "tier": TIER_BY_OPERATOR_KIND.get(o.kind, "")}
            for o in operators
        ],
        "rules": {
            "maxAgeDays": SESSION_MAX_AGE_DAYS,
            "maxHours": SESSION_MAX_HOURS,
            "messages": rule_messages(),
        },
        "texts": texts(),
    }


def rule_messages() -> dict[str, str]:
    """The messages of the session rules and of the form's own field checks, in the user's
    language, taken from where they live (crm.services.session_rule_errors, the form and
    the model), so the phone says exactly what the page would."""
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    wrong = {"date": tomorrow, "follow_up_on": tomorrow, "screening_result": "A"}
    wrong |= {"hours_before": SESSION_MAX_HOURS + 1, "kind": GuidanceSession.Kind.FULL}
    errors = session_rule_errors(wrong, today=today)
    too_old = session_rule_errors({"date": datetime.date(1900, 1, 1)}, today=today)
    no_hours = session_rule_errors({"kind": GuidanceSession.Kind.FULL}, today=today)
    hours = SessionForm.base_fields["hours_before"]
    field = GuidanceSession._meta.get_field("hours_before")
    return {
        "future": errors["date"],
        "too_old": too_old["date"],
        "follow_up": errors["follow_up_on"],
        "screening": errors["screening_result"],
        "hours_limit": errors["hours_before"],
        "content": errors["content"],
        "no_hours": no_hours["hours_during"],
        "required": str(hours.error_messages["required"]),
        "number": refusal(hours.clean, "x"),
        "hours_decimals": refusal(hours.clean, "1.25"),
        "hours_min": refusal(field.run_validators, Decimal(-1)),
        "hours_max": refusal(field.run_validators, Decimal(101)),
        "cvr": refusal(validate_cvr, "0000000"),
        "cvr_checksum": refusal(validate_cvr, "12345678", raw=True),  # says %(cvr)s
    }


def refusal(check, value, *, raw: bool = False) -> str:
    """The message ``check`` refuses ``value`` with; ``raw``: with its placeholders."""
    try:
        check(value)
    except ValidationError as error:
        return str(error.error_list[0].message) if raw else error.messages[0]
    raise AssertionError(f"{value!r} passed")  # pragma: no cover


def texts() -> dict[str, str]:
    """The app's words that JavaScript puts on the page."""
    return {
        "online": _("Forbundet"),
        "offline": _("Uden net"),
        "loaded": _("Data hentet %(when)s. Gemt på telefonen til %(until)s."),
        "no_bundle": _("Ingen data på telefonen endnu. Hent dem, mens du har net."),
        "expired": _("Data på telefonen er udløbet og slettet. Hent dem igen, når du har net."),
        "logged_out": _(
            "Du er ikke logget ind længere. Log ind igen for at hente data og sende udbakken."
        ),
        "loading": _("Henter data …"),
        "load_failed": _("Data kunne ikke hentes. Prøv igen, når du har net."),
        "no_results": _("Ingen af dine virksomheder eller iværksættere passer på søgningen."),
        "company": _("Virksomhed"),
        "founder": _("Iværksætter"),
        "new_company": _("Ny virksomhed, CVR %(cvr)s (slås op, når der er net)"),
        "queued": _("Lagt i udbakken. Sendes, når der er net."),
        "sending": _("Sender udbakken …"),
        "sent": _("%(count)s sendt."),
        "nothing_to_send": _("Udbakken er tom."),
        "still_waiting": _("%(count)s venter i udbakken."),
        "outbox_empty": _("Udbakken er tom."),
        "kind_session": _("Besøg: %(name)s, %(date)s"),
        "kind_follow_up": _("Opfølgning: %(name)s, %(date)s"),
        "kind_company": _("Ny virksomhed: CVR %(cvr)s"),
        "status_waiting": _("Venter"),
        "status_sending": _("Sendes"),
        "status_conflict": _("Konflikt"),
        "status_refused": _("Afvist"),
        "status_retry": _("Prøves igen"),
        "wait_company": _("Venter på, at den nye virksomhed bliver oprettet."),
        "gone": _(
            "Virksomheden eller iværksætteren findes ikke, eller du kan ikke længere se den."
        ),
        "not_allowed": _("Du må ikke længere registrere dette."),
        "register_down": _("CVR-registret svarer ikke lige nu. Prøves igen senere."),
        "server_error": _("Serveren kunne ikke tage imod det. Prøves igen senere."),
        "send_anyway": _("Send alligevel"),
        "fix": _("Ret"),
        "discard": _("Kassér"),
        "discard_confirm": _("Kassér dette fra udbakken? Det kan ikke fortrydes."),
        "new_follow_up": _("Ny opfølgning"),
        "save_follow_up": _("Læg i udbakken"),
        "follow_up_date": _("Ny opfølgningsdato"),
        "choose": _("Vælg"),
        "errors_title": _("Ret disse fejl:"),
        "logout_warning": _("%(count)s i udbakken er ikke sendt og slettes, hvis du logger ud."),
        "cleared": _("Data på telefonen er slettet."),
        "changed": _("%(label)s: %(old)s → %(new)s"),
    }
