from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.dk import cvr as stdnum_cvr


def validate_cvr(value: str) -> None:
    """A CVR number: 8 digits, not starting with 0, modulus-11 checked."""
    try:
        stdnum_cvr.validate(value)
    except stdnum_errors.InvalidChecksum as error:
        raise ValidationError(
            _("CVR-nummeret %(cvr)s findes ikke: kontrolcifferet passer ikke. Tjek tallene."),
            params={"cvr": value},
        ) from error
    except stdnum_errors.ValidationError as error:
        raise ValidationError(
            _("Et CVR-nummer består af 8 cifre og starter ikke med 0.")
        ) from error


def validate_p_number(value: str) -> None:
    """A P-number (production unit): 10 digits. No checksum: Erhvervsstyrelsen issued a batch
    with wrong weights, so the register, not a modulus-11 check, says whether it exists."""
    if not (len(value) == 10 and value.isdigit()):
        raise ValidationError(_("Et P-nummer består af 10 cifre."))
