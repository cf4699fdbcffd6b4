"""The supplier register: what an authority records about each supplier, and how the central
team recognises that two councils' entries are the same supplier.

Many incidents begin at a supplier (a managed service provider, a hosting or data centre
company, a software vendor), and one compromised supplier reaches several councils at once. Each
authority keeps its own register; an entry's id is stable, so that whatever later names a
supplier (a notice it sent, an incident it started) names that authority's entry.

**The same supplier.** Councils type names their own way ("Acme Hosting Ltd", "ACME HOSTING
LIMITED"), so entries are compared by `normalised_name`:

1. accents are dropped and case is folded ("Môn" and "MON" are "mon");
2. "&" is "and";
3. full stops and apostrophes are dropped ("A.C.M.E." is "acme", "O'Neill" is "oneill");
4. any other punctuation separates words, and runs of spaces are one space;
5. legal forms at the end are dropped, repeatedly: "Ltd", "Limited", "plc", "LLP", and the
   Welsh "Cyf", "Cyfyngedig" and "ccc" (a name that is nothing but a legal form keeps it).

Nothing else is guessed: "Acme Hosting UK Ltd" and "Acme Hosting Ltd" may be different
companies, and stay apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from domain.stored_text import StoredText, bilingual

#: At most this many contacts, and services, for one supplier.
MAX_CONTACTS = 10
MAX_SERVICES = 20

#: Legal forms dropped from the end of a name when comparing (English and Welsh).
LEGAL_FORMS = frozenset({"ltd", "limited", "plc", "llp", "cyf", "cyfyngedig", "ccc"})
#: The longest normalised name kept (the column's length).
NORMALISED_LENGTH = 400

#: Full stops and apostrophes, typed or typographic (U+2018, U+2019).
_JOINED = re.compile("[.'\u2018\u2019]")
_SEPARATES = re.compile(r"[^\w\s]|_")


def normalised_name(name: str) -> str:
    """The name two councils' entries for the same supplier share (the rule is in the module's
    docstring)."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    text = _SEPARATES.sub(" ", _JOINED.sub("", text.replace("&", " and ")))
    words = text.split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)[:NORMALISED_LENGTH]


class ContactKind(StrEnum):
    """Who a contact at the supplier is to the council."""

    SECURITY = "security"
    """Their security team: who to tell, and who tells the council, of an incident."""
    ESCALATION = "escalation"
    """Who to go to when the security contact does not answer or act."""


OneLine = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\r\n]*$")]
#: A telephone number as people write it. A supplier's security line may be a landline, a
#: freephone number or abroad, so this is not `domain.mobiles`' UK mobile: the same plain check
#: as a named member's telephone.
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=6, max_length=30, pattern=r"^\+?[0-9 ()-]+$"
    ),
]

#: What each field must be, in English and Welsh, by its place in the entry (list positions
#: left out): every refusal of an entry says so in both languages.
_PROBLEMS: dict[str, tuple[str, str]] = {
    "": ("Send the supplier as a JSON object", "Anfonwch y cyflenwr fel gwrthrych JSON"),
    "name": (
        "Enter the supplier's name, up to 200 characters on one line",
        "Rhowch enw'r cyflenwr, hyd at 200 nod ar un llinell",
    ),
    "services": (
        f"Give at most {MAX_SERVICES} services, each on one line of up to 200 characters",
        f"Rhowch {MAX_SERVICES} gwasanaeth ar y mwyaf, pob un ar un llinell o hyd at 200 nod",
    ),
    "contract_reference": (
        "Enter a contract reference of up to 100 characters on one line",
        "Rhowch gyfeirnod contract o hyd at 100 nod ar un llinell",
    ),
    "regulated_provider": ("Give true or false", "Rhowch true neu false"),
    "contacts": (
        f"Give at most {MAX_CONTACTS} contacts",
        f"Rhowch {MAX_CONTACTS} cyswllt ar y mwyaf",
    ),
    "contacts.kind": (
        "Give the kind of contact: security or escalation",
        "Rhowch y math o gyswllt: security neu escalation",
    ),
    "contacts.name": (
        "Enter the contact's name, up to 200 characters on one line",
        "Rhowch enw'r cyswllt, hyd at 200 nod ar un llinell",
    ),
    "contacts.email": (
        "Enter an email address in the correct format, like name@example.com",
        "Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com",
    ),
    "contacts.phone": (
        "Enter a telephone number, like 029 2087 2087 or +44 29 2087 2087",
        "Rhowch rif ffôn, fel 029 2087 2087 neu +44 29 2087 2087",
    ),
}


class ContactDetails(StoredText):
    """Someone at the supplier the council can reach."""

    kind: ContactKind = Field(description="security, or escalation.")
    name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="A person or a team, for example 'Security operations centre'."
    )
    email: EmailStr
    phone: Phone | None = Field(
        default=None, description="A telephone number, for example +44 29 2087 2087."
    )


class SupplierDetails(StoredText):
    """One supplier as an authority records it. Refusals say what to do, in English and Welsh."""

    name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="As the council knows it, for example 'Acme Hosting Ltd'."
    )
    services: list[Annotated[OneLine, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_SERVICES,
        description="What it provides to the council, for example 'Hosting of the revenues "
        "system'.",
    )
    contract_reference: Annotated[OneLine, StringConstraints(max_length=100)] | None = None
    regulated_provider: Annotated[bool, pydantic.Strict()] = Field(
        default=False,
        description="The council records it as a provider regulated under the Cyber Security "
        "and Resilience Bill (a managed service provider or data centre that must tell its "
        "customers of incidents likely to affect them).",
    )
    contacts: list[ContactDetails] = Field(
        default_factory=list,
        max_length=MAX_CONTACTS,
        description="Its security and escalation contacts, in the order to try them.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _said_in_both_languages(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as invalid:
            raise bilingual(invalid, _PROBLEMS, "supplier") from None

    def contact_list(self) -> list[dict[str, str]]:
        """The contacts as a change record keeps them: kind, name, email and any telephone."""
        return [
            {"kind": c.kind.value, "name": c.name, "email": str(c.email)}
            | ({"phone": c.phone} if c.phone else {})
            for c in self.contacts
        ]


class CouncilEntry(BaseModel):
    """An authority's entry in its register, as the central team's view reads it."""

    authority_code: str
    authority_name_en: str
    authority_name_cy: str
    supplier_id: int
    name: str
    normalised_name: str
    """As recorded with the entry (`normalised_name`)."""
    services: list[str]
    regulated_provider: bool


class CouncilHolding(BaseModel):
    """What one council holds of a shared supplier: its entries (usually one), the services
    they name, and whether it records the supplier as a regulated provider."""

    authority_code: str
    authority_name_en: str
    authority_name_cy: str
    supplier_ids: list[int]
    services: list[str]
    regulated_provider: bool


class SharedSupplier(BaseModel):
    """A supplier two or more councils hold, recognised by its normalised name."""

    normalised_name: str
    name: str
    """The name most councils use (the first registered, between equals)."""
    names: list[str]
    """Every name it is registered under, in order of first registration."""
    councils: list[CouncilHolding]
    regulated_count: int
    """How many of the councils record it as a regulated provider."""


def _distinct(values: Iterable[str]) -> list[str]:
    """Each value once (ignoring case), in order."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


def _holding(entries: list[CouncilEntry]) -> CouncilHolding:
    first = entries[0]
    return CouncilHolding(
        authority_code=first.authority_code,
        authority_name_en=first.authority_name_en,
        authority_name_cy=first.authority_name_cy,
        supplier_ids=[entry.supplier_id for entry in entries],
        services=_distinct(service for entry in entries for service in entry.services),
        regulated_provider=any(entry.regulated_provider for entry in entries),
    )


def shared_suppliers(entries: Iterable[CouncilEntry]) -> list[SharedSupplier]:
    """The suppliers held by two or more councils, from every council's current entries: the
    most widely held first, then by name."""
    by_name: dict[str, list[CouncilEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.supplier_id):
        by_name.setdefault(entry.normalised_name, []).append(entry)
    shared: list[SharedSupplier] = []
    for normalised, held in by_name.items():
        by_council: dict[str, list[CouncilEntry]] = {}
        for entry in held:
            by_council.setdefault(entry.authority_code, []).append(entry)
        if len(by_council) < 2:
            continue
        councils = [_holding(by_council[code]) for code in sorted(by_council)]
        used = Counter(entry.name for entry in held)
        shared.append(
            SharedSupplier(
                normalised_name=normalised,
                # most_common keeps first-seen order between equals: the first registered.
                name=used.most_common(1)[0][0],
                names=list(dict.fromkeys(entry.name for entry in held)),
                councils=councils,
                regulated_count=sum(1 for council in councils if council.regulated_provider),
            )
        )
    return sorted(shared, key=lambda s: (-len(s.councils), s.name.casefold()))
