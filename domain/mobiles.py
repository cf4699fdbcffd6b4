"""UK mobile numbers: the one form Concordat keeps them in, so a reply's number can be matched.

GOV.UK Notify texts UK mobiles; members give theirs as they write it ("07700 900123",
"+44 7700 900123"). libphonenumber decides what a valid UK mobile is, and every number is kept
in E.164 ("+447700900123").

The numbers Ofcom keeps for drama and testing (07700 900000 to 07700 900999, which GOV.UK
Notify also accepts) count as mobiles, so examples and tests never text a real person.
"""

from __future__ import annotations

import re

import phonenumbers

#: Mobile numbers of the UK and of the Crown Dependencies, which share its +44 7 range.
_UK_REGIONS = frozenset({"GB", "GG", "JE", "IM"})
_DRAMA_RANGE = re.compile(r"^7700900\d{3}$")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class NotAUkMobile(ValueError):
    def __init__(self) -> None:
        super().__init__(
            "Enter a UK mobile number, like 07700 900123 or +44 7700 900123 / "
            "Rhowch rif ffôn symudol yn y DU, fel 07700 900123 neu +44 7700 900123"
        )


def uk_mobile(value: str) -> str:
    """The number in E.164, or `NotAUkMobile`."""
    try:
        number = phonenumbers.parse(value.strip(), "GB")
    except phonenumbers.NumberParseException as unparsable:
        raise NotAUkMobile() from unparsable
    drama = number.country_code == 44 and _DRAMA_RANGE.match(str(number.national_number))
    if not drama and (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) not in _UK_REGIONS
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise NotAUkMobile()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def uk_mobile_from_notify(number: str) -> str:
    """A reply's number as Notify writes it (447700900123), in E.164, or `NotAUkMobile`."""
    number = number.strip()
    return uk_mobile(number if number.startswith(("+", "0")) else f"+{number}")
