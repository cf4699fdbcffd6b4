"""The national picture's filters, read once for the page, its exports, the list behind a figure
and the API: a council, an NCSC category, a stage, and when the council became aware (the last
so many days, or between two dates).

The filters arrive as text (a GET form, so a filtered picture is a link to share). Each is
checked, and each problem is named by its field with a message in both languages, so that the
page shows an error summary and the API a 422, never a 500, and never a picture of something
other than what was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from domain.clock import UK_TIME
from domain.vocabulary import Language, NcscCategory
from models import Authority
from services.national_picture import OPEN_STAGES, PictureFilter
from translations import N_, translate

#: The filters' names in a query string, in the order the form shows them.
FILTERS: tuple[str, ...] = ("authority", "category", "stage", "days", "from", "to")
#: The longest "last so many days": ten years.
MOST_DAYS = 3650
#: Choices the form offers for "the last so many days".
DAY_CHOICES: tuple[int, ...] = (7, 30, 90, 365)
#: The years a date may name (as `domain.clock.uk_moment` bounds incidents' moments).
FIRST_YEAR, LAST_YEAR = 2000, 2200

MESSAGES: dict[str, str] = {
    "authority": N_("Select a council from the list"),
    "category": N_("Select an NCSC category from the list"),
    "stage": N_("Select the stage of an open incident from the list"),
    "days": N_("Enter the number of days as a whole number from 1 to 3650"),
    "from": N_("Enter the first date like 2026-04-01, in the years 2000 to 2200"),
    "to": N_("Enter the last date like 2026-06-30, in the years 2000 to 2200"),
    "order": N_("Enter a last date that is the same as or after the first date"),
    "both": N_("Choose the last number of days or dates, not both"),
}


@dataclass(frozen=True)
class ChosenFilters:
    """The filters as the reader sent them (to fill the form in again), and as the query takes
    them; `errors` maps a field to its message's id when something could not be read."""

    text: dict[str, str]
    filter: PictureFilter
    errors: dict[str, str] = field(default_factory=dict)
    authority: Authority | None = None

    @property
    def narrowed(self) -> bool:
        return any(self.text.values())

    def query(self, **more: str) -> str:
        """The filters (and `more`) as a query string, for links that keep them."""
        kept = {name: value for name, value in self.text.items() if value}
        return urlencode(kept | {name: value for name, value in more.items() if value})

    def messages(self, language: Language) -> dict[str, str]:
        """Each problem in the page's language, keyed by the id of the field it is about."""
        return {
            f"filter-{name}": translate(language, message) for name, message in self.errors.items()
        }

    def refusal(self) -> str:
        """Every problem in English and in Welsh, for the API's 422 ("English. / Welsh.")."""
        english = "; ".join(translate(Language.ENGLISH, m) for m in self.errors.values())
        welsh = "; ".join(translate(Language.WELSH, m) for m in self.errors.values())
        return f"{english}. / {welsh}."


def _date(text: str) -> date | None:
    """A date written as the form's date field sends it (2026-04-01); None if it is not one."""
    try:
        moment = date.fromisoformat(text)
    except ValueError:
        return None
    return moment if FIRST_YEAR <= moment.year <= LAST_YEAR and len(text) == 10 else None


def _uk_start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UK_TIME).astimezone(UTC)


def read_filters(
    params: Mapping[str, str], authorities: list[Authority], *, now: datetime | None = None
) -> ChosenFilters:
    """The filters in `params`, checked; `authorities` are those a code may name."""
    now = now or datetime.now(UTC)
    text = {name: str(params.get(name) or "").strip()[:40] for name in FILTERS}
    errors: dict[str, str] = {}
    chosen: dict[str, object] = {}

    authority = None
    if text["authority"]:
        by_code = {each.code: each for each in authorities}
        authority = by_code.get(text["authority"].upper())
        if authority is None:
            errors["authority"] = MESSAGES["authority"]
        else:
            chosen["authority_id"] = authority.id
    if text["category"]:
        categories = {str(int(category)): category for category in NcscCategory}
        if text["category"] in categories:
            chosen["category"] = categories[text["category"]]
        else:
            errors["category"] = MESSAGES["category"]
    if text["stage"]:
        stages = {stage.value: stage for stage in OPEN_STAGES}
        if text["stage"] in stages:
            chosen["stage"] = stages[text["stage"]]
        else:
            errors["stage"] = MESSAGES["stage"]

    days = text["days"]
    if days:
        if days.isdigit() and 1 <= int(days) <= MOST_DAYS:
            chosen["aware_from"] = now - timedelta(days=int(days))
        else:
            errors["days"] = MESSAGES["days"]
    first, last = _date(text["from"]), _date(text["to"])
    for name, given in (("from", first), ("to", last)):
        if text[name] and given is None:
            errors[name] = MESSAGES[name]
    if days and (text["from"] or text["to"]):
        errors.setdefault("days", MESSAGES["both"])
    elif first is not None and last is not None and last < first:
        errors["to"] = MESSAGES["order"]
    if not days:
        if first is not None:
            chosen["aware_from"] = _uk_start_of(first)
        if last is not None:
            chosen["aware_before"] = _uk_start_of(last + timedelta(days=1))

    if errors:
        return ChosenFilters(text, PictureFilter(), errors)
    return ChosenFilters(text, PictureFilter(**chosen), authority=authority)  # type: ignore[arg-type]
