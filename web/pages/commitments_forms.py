"""The forms that attest commitments a, b, d, e and f: what each field is called, how the
answers become the evidence the API takes (`domain.commitments.EVIDENCE`), and each problem
in words a person can act on, in the page's language.

Dates are asked for as GOV.UK's date input (day, month and year in boxes named
`<field>-day`, `<field>-month`, `<field>-year`); a problem with one is shown against its first
box, `<field>-day`, which the error summary links to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import ValidationError

from domain.commitments import (
    ACTIVE_CYBER_DEFENCE_TOOLS,
    DEFENCE_TOOLS,
    LEVELS,
    ActiveCyberDefence,
    CispRegistration,
    ClearanceGroup,
    Commitment,
    CyberEssentialsPlus,
    Evidence,
    RiskReview,
    SecurityClearances,
)
from domain.vocabulary import Language
from translations import N_, translate
from web.pages.form_errors import FieldWords, field_errors

DATE_PARTS = ("day", "month", "year")
#: A clearance row the form offers beyond those already given, for adding more.
SPARE_ROWS = 3
MOST_ROWS = 100


@dataclass(frozen=True)
class Question:
    """One field of a form: its name, how it is asked, and what to say when it is empty."""

    name: str
    label: str
    missing: str
    kind: Literal["text", "textarea", "date"] = "text"
    hint: str | None = None
    width: str | None = None

    @property
    def anchor(self) -> str:
        """Where its error message is shown and the error summary links to."""
        return f"{self.name}-day" if self.kind == "date" else self.name


@dataclass
class ReadForm:
    """A submitted form: the evidence it gives if it is complete, or what is wrong with it."""

    evidence: Evidence | None
    errors: dict[str, str] = field(default_factory=dict)


def _say(language: Language, message: str, **values: Any) -> str:
    text = translate(language, message)
    return text % values if values else text


# Translators: each part is read after "must include the" (in Welsh, give its article too).
_PART_NAMES = {"day": N_("day"), "month": N_("month"), "year": N_("year")}


def read_date(
    values: Mapping[str, str], name: str, label: str, language: Language
) -> tuple[str | None, str | None]:
    """A date's three boxes as "YYYY-MM-DD", or the problem with them; (None, None) when all
    three are empty."""
    parts = {part: values.get(f"{name}-{part}", "").strip() for part in DATE_PARTS}
    if not any(parts.values()):
        return None, None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        part = translate(language, _PART_NAMES[missing[0]])
        return None, _say(
            language, N_("%(label)s must include the %(part)s"), label=label, part=part
        )
    try:
        if not all(text.isdigit() for text in parts.values()) or len(parts["year"]) != 4:
            raise ValueError(parts)
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None, _say(language, N_("%(label)s must be a real date"), label=label)
    return day.isoformat(), None


def date_values(name: str, day: date | None) -> dict[str, str]:
    """A date as its three boxes show it."""
    if day is None:
        return {}
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def _in_the_future(label: str, language: Language) -> str:
    return _say(language, N_("%(label)s must be today or in the past"), label=label)


class FlatForm:
    """A form whose fields are the evidence's own (commitments a, b and d)."""

    def __init__(
        self,
        schema: type[Evidence],
        questions: tuple[Question, ...],
        whole: dict[str, tuple[str, str]],
    ) -> None:
        self.schema, self.questions = schema, questions
        #: Problems with the evidence as a whole, by how pydantic's message starts: the field
        #: to show them against and what to say.
        self.whole = whole

    def fields(self, language: Language, values: Mapping[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "name": q.name,
                "kind": q.kind,
                "label": translate(language, q.label),
                "hint": translate(language, q.hint) if q.hint else None,
                "anchor": q.anchor,
                "width": q.width,
            }
            for q in self.questions
        ]

    def rows(self, values: Mapping[str, str]) -> int:
        return 0

    def read(self, values: Mapping[str, str], language: Language) -> ReadForm:
        answers: dict[str, str] = {}
        own: dict[str, str] = {}
        for q in self.questions:
            label = translate(language, q.label)
            if q.kind == "date":
                text, problem = read_date(values, q.name, label, language)
                if problem:
                    own[q.anchor] = problem
            else:
                text = values.get(q.name, "").strip()
            if text:
                answers[q.name] = text
        errors: dict[str, str] = {}
        evidence: Evidence | None = None
        try:
            evidence = self.schema.model_validate(answers)
        except ValidationError as invalid:
            errors = self._problems(invalid, language)
        merged = errors | own
        ordered = {q.anchor: merged[q.anchor] for q in self.questions if q.anchor in merged}
        return ReadForm(None if merged else evidence, ordered | merged)

    def _problems(self, invalid: ValidationError, language: Language) -> dict[str, str]:
        words = {
            q.name: FieldWords(translate(language, q.label), translate(language, q.missing))
            for q in self.questions
        }
        anchors = {q.name: q.anchor for q in self.questions}
        found = field_errors(invalid, language, words)
        errors = {anchors.get(name, name): message for name, message in found.items()}
        for item in invalid.errors():
            if item["loc"]:
                continue
            raw = str(item["msg"]).removeprefix("Value error, ")
            for start, (name, message) in self.whole.items():
                if raw.startswith(start):
                    errors.pop("form", None)
                    errors.setdefault(anchors[name], translate(language, message))
        return errors

    def future(
        self, names: list[str], values: Mapping[str, str], language: Language
    ) -> dict[str, str]:
        return {
            q.anchor: _in_the_future(translate(language, q.label), language)
            for q in self.questions
            if q.name in names
        }


TOOL_DATE = "adopted-{code}"


class ToolsForm:
    """Commitment e: a box for each tool, and the date it was adopted beside each one ticked."""

    def fields(self, language: Language, values: Mapping[str, str]) -> list[dict[str, Any]]:
        return []

    def rows(self, values: Mapping[str, str]) -> int:
        return 0

    def read(self, values: Mapping[str, str], language: Language) -> ReadForm:
        tools: list[dict[str, str]] = []
        errors: dict[str, str] = {}
        for tool in ACTIVE_CYBER_DEFENCE_TOOLS:
            if values.get(f"tool-{tool.code}") != "yes":
                continue
            name = TOOL_DATE.format(code=tool.code)
            label = _tool_date_label(tool.code, language)
            text, problem = read_date(values, name, label, language)
            if problem:
                errors[f"{name}-day"] = problem
            elif text is None:
                errors[f"{name}-day"] = _say(
                    language,
                    N_("Enter the date you started using %(tool)s"),
                    tool=tool_name(tool.code, language),
                )
            else:
                tools.append({"tool": tool.code, "adopted_on": text})
        try:
            evidence = ActiveCyberDefence.model_validate({"tools": tools})
        except ValidationError as invalid:
            for item in invalid.errors():
                location = item["loc"]
                if len(location) >= 2 and isinstance(location[1], int):
                    code = tools[location[1]]["tool"]
                    anchor = TOOL_DATE.format(code=code) + "-day"
                    label = _tool_date_label(code, language)
                    errors.setdefault(anchor, _date_problem(item, label, language))
            first = f"tool-{ACTIVE_CYBER_DEFENCE_TOOLS[0].code}"
            return ReadForm(None, errors or {first: _say(language, N_("Check the tools selected"))})
        return ReadForm(None if errors else evidence, errors)

    def future(
        self, names: list[str], values: Mapping[str, str], language: Language
    ) -> dict[str, str]:
        ticked = [
            t.code for t in ACTIVE_CYBER_DEFENCE_TOOLS if values.get(f"tool-{t.code}") == "yes"
        ]
        errors = {}
        for name in names:  # "tools.<n>.adopted_on", in the order the evidence lists them
            position = int(name.split(".")[1])
            if position < len(ticked):
                code = ticked[position]
                errors[TOOL_DATE.format(code=code) + "-day"] = _in_the_future(
                    _tool_date_label(code, language), language
                )
        return errors


def tool_name(code: str, language: Language) -> str:
    """A tool's name in the page's language (its code, should the list no longer have it)."""
    tool = DEFENCE_TOOLS.get(code)
    if tool is None:
        return code
    return tool.name_cy if language is Language.WELSH else tool.name_en


def level_name(code: str, language: Language) -> str:
    """A level of clearance's name in the page's language."""
    level = LEVELS.get(code)
    if level is None:
        return code
    return level.name_cy if language is Language.WELSH else level.name_en


def _tool_date_label(code: str, language: Language) -> str:
    return _say(language, N_("Date you started using %(tool)s"), tool=tool_name(code, language))


def _date_problem(item: Any, label: str, language: Language) -> str:
    raw = str(item["msg"]).removeprefix("Value error, ")
    if raw.startswith("must be a date in 2000 or later"):
        return _say(language, N_("%(label)s must be in 2000 or later"), label=label)
    return _say(language, N_("%(label)s must be a real date"), label=label)


def clearance_row(number: int) -> str:
    return f"clearance-{number}"


def _last_row(values: Mapping[str, str], *, filled: bool) -> int:
    """The highest clearance row number in the answers (with something in it, if `filled`)."""
    numbers = [
        int(key.split("-")[1])
        for key, value in values.items()
        if key.startswith("clearance-")
        and key.split("-")[1].isdigit()
        and (value.strip() or not filled)
    ]
    return max(numbers, default=0)


class ClearancesForm:
    """Commitment f: rows of level, how many hold it and when it expires; never a name. A row
    left empty is no row; every row left empty says nobody holds a clearance."""

    def fields(self, language: Language, values: Mapping[str, str]) -> list[dict[str, Any]]:
        return []

    def rows(self, values: Mapping[str, str]) -> int:
        """The rows to show: those filled in, and a few spare."""
        return min(_last_row(values, filled=True) + SPARE_ROWS, MOST_ROWS)

    def read(self, values: Mapping[str, str], language: Language) -> ReadForm:
        groups: list[dict[str, Any]] = []
        errors: dict[str, str] = {}
        for number in range(1, min(_last_row(values, filled=False), MOST_ROWS) + 1):
            row = clearance_row(number)
            level = values.get(f"{row}-level", "").strip()
            holders = values.get(f"{row}-holders", "").strip()
            expiry_label = _say(language, N_("Expiry date, row %(number)s"), number=number)
            text, problem = read_date(values, f"{row}-expires_on", expiry_label, language)
            if not (level or holders or text or problem):
                continue
            if problem:
                errors[f"{row}-expires_on-day"] = problem
            answers: dict[str, Any] = {"level": level, "expires_on": text}
            if holders:
                answers["holders"] = int(holders) if holders.isdigit() else holders
            group = {key: value for key, value in answers.items() if value not in (None, "")}
            errors |= self._row_problems(group, number, language, skip_date=bool(problem))
            groups.append(group)
        if errors:
            return ReadForm(None, errors)
        try:
            return ReadForm(SecurityClearances.model_validate({"clearances": groups}))
        except ValidationError:
            first = f"{clearance_row(1)}-level"
            return ReadForm(None, {first: _say(language, N_("Give no more than 100 rows"))})

    def _row_problems(
        self, group: dict[str, Any], number: int, language: Language, *, skip_date: bool
    ) -> dict[str, str]:
        row = clearance_row(number)
        words = {
            "level": FieldWords(
                _say(language, N_("Level, row %(number)s"), number=number),
                _say(
                    language, N_("Select the level of clearance in row %(number)s"), number=number
                ),
            ),
            "holders": FieldWords(
                _say(language, N_("Number of responders, row %(number)s"), number=number),
                _say(
                    language,
                    N_("Enter how many responders hold it in row %(number)s"),
                    number=number,
                ),
            ),
            "expires_on": FieldWords(
                _say(language, N_("Expiry date, row %(number)s"), number=number),
                _say(
                    language,
                    N_("Enter the date the clearances in row %(number)s expire"),
                    number=number,
                ),
            ),
        }
        try:
            ClearanceGroup.model_validate(group)
        except ValidationError as invalid:
            found = field_errors(invalid, language, words)
            if "level" in found and group.get("level"):
                found["level"] = words["level"].missing or found["level"]
            if "holders" in found and "holders" in group:
                found["holders"] = _say(
                    language,
                    N_(
                        "Enter the number of responders in row %(number)s as a whole number "
                        "from 1 to 10,000"
                    ),
                    number=number,
                )
            if skip_date:
                found.pop("expires_on", None)
            return {
                (f"{row}-expires_on-day" if name == "expires_on" else f"{row}-{name}"): message
                for name, message in found.items()
                if name in words
            }
        return {}

    def future(
        self, names: list[str], values: Mapping[str, str], language: Language
    ) -> dict[str, str]:
        return {}


FORMS: dict[Commitment, FlatForm | ToolsForm | ClearancesForm] = {
    Commitment.A: FlatForm(
        CyberEssentialsPlus,
        (
            Question(
                "certificate_number",
                N_("Certificate number"),
                N_("Enter the certificate number"),
                width="govuk-input--width-20",
            ),
            Question(
                "certifying_body",
                N_("Certification body"),
                N_("Enter the certification body that assessed the council"),
            ),
            Question(
                "issued_on",
                N_("Date issued"),
                N_("Enter the date the certificate was issued"),
                "date",
            ),
            Question(
                "expires_on",
                N_("Expiry date"),
                N_("Enter the date the certificate expires"),
                "date",
                hint=N_("A certificate is valid for 12 months. For example, 31 3 2027"),
            ),
        ),
        {
            "expires_on must be after": (
                "expires_on",
                N_("The expiry date must be after the date issued"),
            ),
            "expires_on must be no more than": (
                "expires_on",
                N_("The expiry date must be no more than 12 months after the date issued"),
            ),
        },
    ),
    Commitment.B: FlatForm(
        RiskReview,
        (
            Question(
                "register_entry",
                N_("Risk register entry"),
                N_("Enter the corporate risk register's entry for the cyber threat"),
                "textarea",
                hint=N_(
                    "As the register words it, with the risk's owner and score if it has them."
                ),
            ),
            Question(
                "register_reference",
                N_("Risk register reference (optional)"),
                N_("Enter the risk register's reference for the entry"),
                width="govuk-input--width-10",
            ),
            Question(
                "last_considered_on",
                N_("Date senior management last considered it"),
                N_("Enter the date senior management last considered the cyber risk"),
                "date",
                hint=N_(
                    "For example, the date of the corporate management team's meeting, "
                    "like 14 10 2026"
                ),
            ),
        ),
        {},
    ),
    Commitment.D: FlatForm(
        CispRegistration,
        (
            Question(
                "organisation_name",
                N_("Organisation name in CiSP"),
                N_("Enter the organisation's name as CiSP has it"),
            ),
            Question(
                "registered_on",
                N_("Date registered"),
                N_("Enter the date the council registered with CiSP"),
                "date",
            ),
        ),
        {},
    ),
    Commitment.E: ToolsForm(),
    Commitment.F: ClearancesForm(),
}


def form_values(evidence: Evidence | None) -> dict[str, str]:
    """What a form shows for the evidence already given."""
    match evidence:
        case CyberEssentialsPlus():
            return (
                {
                    "certificate_number": evidence.certificate_number,
                    "certifying_body": evidence.certifying_body,
                }
                | date_values("issued_on", evidence.issued_on)
                | date_values("expires_on", evidence.expires_on)
            )
        case RiskReview():
            return {
                "register_entry": evidence.register_entry,
                "register_reference": evidence.register_reference or "",
            } | date_values("last_considered_on", evidence.last_considered_on)
        case CispRegistration():
            return {"organisation_name": evidence.organisation_name} | date_values(
                "registered_on", evidence.registered_on
            )
        case ActiveCyberDefence():
            values: dict[str, str] = {}
            for adoption in evidence.tools:
                values[f"tool-{adoption.tool}"] = "yes"
                values |= date_values(TOOL_DATE.format(code=adoption.tool), adoption.adopted_on)
            return values
        case SecurityClearances():
            values = {}
            for number, group in enumerate(evidence.clearances, start=1):
                row = clearance_row(number)
                values[f"{row}-level"] = group.level
                values[f"{row}-holders"] = str(group.holders)
                values |= date_values(f"{row}-expires_on", group.expires_on)
            return values
    return {}
