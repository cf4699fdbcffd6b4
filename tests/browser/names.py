"""Accessible names the tests look pages up by, in each page language.

English names are the templates' own; Welsh names are their translations
(`translations/cy/LC_MESSAGES/messages.po`, or `translations/pending/*.po` before they are
merged). Each is a pattern, not an exact string, so that a name that gains words ("Sign in to
Concordat"), or a page not yet translated that still shows both languages ("Short title / Teitl
byr"), is found; the pattern is anchored on the words a person would look for.
"""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["cy", "en"]
LANGUAGES: tuple[Lang, ...] = ("cy", "en")

#: Each name: (English pattern, Welsh pattern), matched case-insensitively.
_NAMES: dict[str, tuple[str, str]] = {
    # Every page
    "skip link": (r"Skip to main content", r"Neidio i'r prif gynnwys"),
    "language switch": (r"^Cymraeg$", r"^English$"),
    "incidents nav": (r"^Incidents$", r"^Digwyddiadau$"),
    "administration nav": (r"^Administration$", r"^Gweinyddu$"),
    "audit nav": (r"^Audit$", r"^Archwilio$"),
    "account nav": (r"^Your account$", r"^Eich cyfrif$"),
    "sign out nav": (r"^Sign out$", r"^Allgofnodi$"),
    # Signing in
    "email address": (r"Email address", r"Cyfeiriad e-bost"),
    "password": (r"^Password$", r"^Cyfrinair$"),
    "sign in button": (r"^Sign in$", r"^Mewngofnodi$"),
    # The incident list and the form
    "report incident link": (r"Report a cyber incident", r"Adrodd digwyddiad seiber"),
    "title field": (r"Short title|^Title", r"Teitl byr|^Teitl"),
    "description field": (r"What happened", r"Beth ddigwyddodd"),
    "significant": (r"^Significant", r"^Arwyddocaol"),
    "incident type": (r"Type of incident", r"Math o ddigwyddiad"),
    "category group": (r"NCSC category", r"Categori'r NCSC"),
    "personal data group": (r"Personal data", r"Data personol"),
    "tlp group": (r"Sharing marking", r"Marc rhannu"),
    "no": (r"^No$", r"^Na$"),
    "your name": (r"Your name", r"Eich enw"),
    "your email": (r"Your email", r"Eich e-bost|Eich cyfeiriad e-bost"),
    "form continue": (
        r"^Continue$|Open the incident|^Submit",
        r"^Parhau$|Agor y digwyddiad|^Cyflwyno",
    ),
    "check answers heading": (r"Check your answers", r"Gwiriwch eich atebion"),
    "confirm and open": (
        r"Open the incident|Accept and send|^Submit|Confirm",
        r"Agor y digwyddiad|Derbyn ac anfon|^Cyflwyno|Cadarnhau",
    ),
    # The status page
    "submission action": (r"Record a submission to a body", r"Cofnodi cyflwyniad i gorff"),
    "submission body": (r"Record a submission to", r"Cofnodi cyflwyniad i"),
    "submission reference": (r"Their reference", r"Eu cyfeirnod"),
    "record submission": (r"Record (the )?submission", r"Cofnodi('r)? cyflwyniad"),
    "closing summary": (r"Closing summary", r"Crynodeb cau"),
    "close incident": (r"Close the incident", r"Cau'r digwyddiad"),
    # The acknowledge page
    "acknowledge button": (r"I acknowledge", r"Rwy'n cydnabod"),
    # Campaigns (the central team's)
    "new campaign link": (r"Set up a new campaign", r"Sefydlu ymgyrch newydd"),
    "campaign name field": (r"^Name", r"^Enw"),
    "set up campaign button": (r"Set up the campaign", r"Sefydlu'r ymgyrch"),
    "incident reference field": (r"Incident reference", r"Cyfeirnod y digwyddiad"),
    "link incident button": (r"Link the incident", r"Cysylltu'r digwyddiad"),
    "close campaign button": (r"^Close the campaign$", r"^Cau'r ymgyrch$"),
    # The national picture and performance figures
    "wales nav": (r"^Wales$", r"^Cymru$"),
    "performance link": (r"^Performance figures$", r"^Ffigurau perfformiad$"),
    "centre link": (r"^Who the centre tells$", r"^Pwy mae'r canol yn rhoi gwybod iddyn nhw$"),
    "add duty recipient button": (
        r"^Add the duty recipient$",
        r"^Ychwanegu'r derbynnydd dyletswydd$",
    ),
    "wales open incidents": (r"open incidents in Wales$", r"digwyddiadau agored yng Nghymru$"),
    # The Concordat's commitments
    "commitments nav": (r"^Commitments$", r"^Ymrwymiadau$"),
    "attest and save": (r"^Attest and save$", r"^Cadarnhau a chadw$"),
    # The annual review
    "submit review button": (r"^Submit the review$", r"^Cyflwyno'r adolygiad$"),
    # Errors
    "error summary": (r"There is a problem", r"Mae problem"),
}


def name(key: str, lang: Lang) -> re.Pattern[str]:
    """The pattern for one accessible name in one page language."""
    english, welsh = _NAMES[key]
    chosen = welsh if lang == "cy" else english
    # A label's text is matched with the white space around it in the markup.
    spaced = chosen.replace("^", r"^\s*").replace("$", r"\s*$")
    return re.compile(spaced, re.IGNORECASE)
