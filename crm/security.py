"""The second factor after the password (TOTP and recovery codes, django-otp) and the password
strength rule.

Who must use a second factor is derived from the role table: every role that may reveal a CPR
number or read and export named companies and founders (``crm.permissions.ROLE_PERMISSIONS``),
and staff, whose admin shows every row. Others may choose one; once set up, it is asked for too.
"""

import base64
import re

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from zxcvbn import zxcvbn

from crm.models import Membership, Operator
from crm.permissions import ROLE_PERMISSIONS

# "reveal_cpr" shows a full CPR number; "view_records" reads named companies and founders and
# exports them (reporting's referral and programme-participant exports).
TWO_FACTOR_PERMS = frozenset({"reveal_cpr", "view_records"})
TWO_FACTOR_ROLES = frozenset(
    role for role, perms in ROLE_PERMISSIONS.items() if perms & TWO_FACTOR_PERMS
)
RECOVERY_CODES = 10
DEVICE_NAME = "Knudepunkt"


def must_use_two_factor(user) -> bool:
    """A role that reveals or exports person data, or staff: the second factor is no choice."""
    return (
        user.is_staff
        or user.is_superuser
        or Membership.objects.filter(user=user, role__in=TWO_FACTOR_ROLES).exists()
    )


def requires_two_factor(user) -> bool:
    """Whether ``user`` must pass a second factor after the password: by role or staff, or
    because the user has set one up by choice."""
    return must_use_two_factor(user) or has_two_factor(user)


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user) -> TOTPDevice:
    """The authenticator app being set up: an unconfirmed TOTP device, made on first need."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it when typed in (base32, in groups of four)."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (the CSP allows data: images)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def do_confirm_totp(user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app with its first code. Side effects: the device counts from now on, any
    earlier app of the user is removed, and new recovery codes replace the old (returned).
    A wrong code counts towards the device's throttling."""
    if device.user_id != user.pk or not device.verify_token(re.sub(r"\s", "", code)):
        raise ValidationError(_("Koden passer ikke. Tjek uret på telefonen, og prøv igen."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return do_new_recovery_codes(user)


@transaction.atomic
def do_new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODES`` new ones, each good once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": DEVICE_NAME})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def do_remove_two_factor(user) -> None:
    """Remove the user's authenticator app and recovery codes (a session verified with them
    is no longer verified)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def check_second_factor(user, code: str):
    """The device that accepts ``code``: six digits are checked against the authenticator app,
    anything else against the recovery codes (each used up). ``None`` if none accepts it; each
    device slows down repeated failures (django-otp's throttling)."""
    code = re.sub(r"\s", "", code)
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    return verify_token(user, device.persistent_id, code.lower())


# --- Passwords ---------------------------------------------------------------------------

PRODUCT_NAMES = ("Knudepunkt",)


def names_near() -> list[str]:
    """What an attacker tries first besides common words: the product's name and the names of
    the operators that use it, whole and word by word, longest first."""
    names = [*PRODUCT_NAMES, *Operator.objects.values_list("name", flat=True)]
    words = {word for name in names for word in re.findall(r"\w{4,}", name)}
    return sorted({name.casefold() for name in [*names, *words]}, key=len, reverse=True)


class PasswordStrengthValidator:
    """zxcvbn's estimate of how hard the password is to guess, judged on what is left once the
    product's and operators' names are taken out: ``aaaaaaaaaaaa`` or "Knudepunkt2026!" is
    refused, a long sentence that happens to name the product is not."""

    def __init__(self, min_score: int = 3):
        self.min_score = min_score  # 3: "safely unguessable" (more than 10^10 guesses)

    def validate(self, password: str, user=None) -> None:
        names = names_near()
        rest = password
        for name in names:
            rest = re.sub(re.escape(name), " ", rest, flags=re.IGNORECASE)
        attributes = [getattr(user, field, "") or "" for field in ("username", "first_name")]
        if zxcvbn(rest, user_inputs=[*names, *attributes])["score"] >= self.min_score:
            return
        if rest != password:
            raise ValidationError(
                _("Adgangskoden bygger på produktets eller organisationens navn."),
                code="password_names_product",
            )
        raise ValidationError(_("Adgangskoden er for let at gætte."), code="password_too_weak")

    def get_help_text(self) -> str:
        return _(
            "Undgå gentagelser, kendte ord og navne som Knudepunkt eller din organisations; "
            "en sætning på flere ord er let at huske og svær at gætte."
        )
