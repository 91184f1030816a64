"""Phone numbers, normalised so that "0912 345 678" and "+84 912345678" are the same account."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_REGION = "VN"


def normalise_phone(raw: str) -> str:
    """Return the number in E.164 ("+84912345678"); raise ValidationError if it is not a valid number.

    Numbers without a country code are read as Vietnamese, the way people write them locally.
    """
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid phone number, e.g. 0912 345 678."), code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number, e.g. 0912 345 678."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Show a stored number the way it is written nationally ("091 234 56 78")."""
    number = phonenumbers.parse(e164, DEFAULT_REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
