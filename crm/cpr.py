"""CPR numbers: validation, encryption at rest, keyed look-up hash, masking.

The encryption keys (``CPR_ENCRYPTION_KEYS``, newest first, for rotation) and the HMAC key
(``CPR_LOOKUP_KEY``) come from the environment, never from the database. A CPR number is
never logged, put in a URL, passed to a task or returned by the API; only ``mask()`` is shown.
"""

import datetime
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.dk import cpr as stdnum_cpr


def clean_cpr(value: str) -> str:
    """The 10 digits of a valid CPR number, or a ValidationError saying what to fix.

    Date and century are checked; the modulus-11 check is not, since numbers without it have
    been issued from 2007.
    """
    try:
        return stdnum_cpr.validate(value)
    # InvalidLength is a kind of InvalidFormat: ask for it first.
    except stdnum_errors.InvalidLength as error:
        raise ValidationError(_("Et CPR-nummer har præcis 10 cifre (DDMMÅÅ-XXXX).")) from error
    except stdnum_errors.InvalidFormat as error:
        raise ValidationError(_("Et CPR-nummer består af 10 cifre, fx 010190-1234.")) from error
    except stdnum_errors.ValidationError as error:
        raise ValidationError(
            _("CPR-nummeret indeholder ikke en gyldig fødselsdato (DDMMÅÅ).")
        ) from error


def birth_date(cpr: str) -> datetime.date:
    return stdnum_cpr.get_birth_date(cpr)


def sex(cpr: str) -> str:
    """'M' or 'F' from the last digit (odd: male)."""
    return "M" if int(cpr[-1]) % 2 else "F"


def mask(born: datetime.date) -> str:
    return f"{born:%d%m%y}-xxxx"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(cpr: str) -> bytes:
    return _fernet(tuple(settings.CPR_ENCRYPTION_KEYS)).encrypt(cpr.encode())


def decrypt(token: bytes) -> str:
    return _fernet(tuple(settings.CPR_ENCRYPTION_KEYS)).decrypt(bytes(token)).decode()


def lookup_hash(cpr: str) -> str:
    """HMAC-SHA256 of the number: finds and de-duplicates without decrypting anything."""
    key = settings.CPR_LOOKUP_KEY.encode()
    return hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest()
