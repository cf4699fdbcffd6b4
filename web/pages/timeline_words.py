"""A timeline event told in the reader's language, from the structured detail it recorded.

The workflow writes each event's summary once, in English with times in UTC: the summary is
sealed into the hash chain and the audit pages show it as it was recorded. The status page is
for people handling the incident, in Welsh or English and in UK time, so it says the same thing
again from the detail: bodies, roles and chains by their labels, moments through `uk_datetime`.

A few facts never reached the detail (a recipient's name, a reminder's number or deadline); the
workflow wrote them into the summary in one fixed form, and they are read back from there only
when the summary has exactly that form. An event whose detail lacks what its sentence needs
(one recorded by an older workflow) gives None, and the page shows the recorded summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from babel.dates import format_date, format_timedelta

from domain.activity_contracts import DeliveryOutcome
from domain.channels import Channel
from domain.commands import AcknowledgementChannel
from domain.evidence import CustodyMethod, CustodyRecipient
from domain.obligations import Body, PersonalDataRisk, SubmissionPhase
from domain.vocabulary import (
    Chain,
    EventKind,
    IncidentType,
    Language,
    MemberRole,
    NcscCategory,
    NotificationKind,
)
from notifications.labels import ROLE_NAMES, label
from notifications.render import uk_datetime
from translations import N_, translate


class Event(Protocol):
    """What a sentence is built from: a `models.timeline.TimelineEvent`, or any row like it."""

    @property
    def kind(self) -> EventKind: ...

    @property
    def summary(self) -> str: ...

    @property
    def detail(self) -> Mapping[str, Any]: ...


Sentence = Callable[[Mapping[str, Any], str, Language], str | None]

#: Welsh joins "i", "o", "a" and "gyda" to a following "yr"/"y": "i'r NCSC", never "i yr NCSC".
_ELIDES = re.compile(r"\b(i|o|a|gyda) %\((\w+)\)s")
#: How the workflow writes a moment in a summary (always UTC).
_UTC_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC")

#: The breach register's fields, as a change to them is named.
_BREACH_FIELDS: dict[str, str] = {
    "facts": N_("facts"),
    "effects": N_("effects"),
    "remedial_action": N_("remedial action"),
    "data_subject_categories": N_("categories of people affected"),
    "approximate_data_subjects": N_("approximate number of people"),
    "record_categories": N_("categories of records"),
    "approximate_records": N_("approximate number of records"),
    "likely_consequences": N_("likely consequences"),
}


def event_sentence(event: Event, language: Language) -> str | None:
    """The event in `language`, or None when its detail cannot say it (the page then shows the
    recorded English summary). Notes and corrections are shown in their own words elsewhere."""
    build = _SENTENCES.get(event.kind)
    if build is None:
        return None
    try:
        return build(event.detail, event.summary, language)
    except (KeyError, ValueError, TypeError):
        return None


def _fill(template: str, **values: Any) -> str:
    """Put values into a translated message, joining a Welsh preposition to an article."""
    for name, value in list(values.items()):
        if isinstance(value, str) and value.startswith(("yr ", "y ")):
            values[f"{name}_elided"] = value.split(" ", 1)[1]
    template = _ELIDES.sub(
        lambda m: f"{m[1]}'r %({m[2]}_elided)s" if f"{m[2]}_elided" in values else m[0],
        template,
    )
    return template % values


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summary_moment(summary: str) -> datetime:
    """The one UTC moment the workflow wrote into a summary ("2026-11-30 17:47 UTC")."""
    found = _UTC_MOMENT.search(summary)
    if found is None:
        raise ValueError("no moment in the summary")
    return datetime.strptime(found[1], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def _between(summary: str, prefix: str, suffix: str = "") -> str:
    """The text the workflow put between a fixed start and end of a summary."""
    if not (summary.startswith(prefix) and summary.endswith(suffix)):
        raise ValueError("the summary is not in the expected form")
    found = summary[len(prefix) : len(summary) - len(suffix)]
    if not found:
        raise ValueError("nothing between")
    return found


def _role(value: str, language: Language) -> str:
    return ROLE_NAMES[language][None if value == "reporter" else MemberRole(value)]


def _body(detail: Mapping[str, Any], language: Language) -> str:
    """A body this process knows by name; for one it does not (a regime it has not read), the
    event's recorded summary stands."""
    body = Body(detail["body"])
    if body not in list(Body):
        raise ValueError(f"no regime this process read names {body!r}")
    return label(body, language)


def _chain(detail: Mapping[str, Any], language: Language) -> str:
    words = label(Chain(detail["chain"]), language)
    return words[:1].upper() + words[1:]


def _lowered(words: str) -> str:
    return words[:1].lower() + words[1:]


def exact_span(span: timedelta, language: Language) -> str:
    """A duration to the second, as a person says it: "5 minutes", "1 munud 30 eiliad" (a
    delivery timeout need not be whole minutes)."""
    seconds, parts = max(int(span.total_seconds()), 0), []
    for unit in (86400, 3600, 60, 1):
        amount, seconds = divmod(seconds, unit)
        if amount:
            whole = timedelta(seconds=amount * unit)
            parts.append(format_timedelta(whole, threshold=1, locale=language.value))
    return " ".join(parts) or format_timedelta(timedelta(0), locale=language.value)


def _with_reason(sentence: str, reason: object, language: Language) -> str:
    if not reason:
        return sentence
    return _fill(translate(language, "%(what)s. Reason: %(reason)s"), what=sentence, reason=reason)


# ------------------------------------------------------------------ opening and assessment


def _opened(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    category = NcscCategory(int(detail["category"]))
    return _fill(
        translate(
            language,
            "Incident opened: %(incident_type)s, category %(category)s (%(category_name)s), "
            "marked %(tlp)s. Detected: %(detected_at)s. Council aware: %(aware_at)s.",
        ),
        incident_type=_lowered(label(IncidentType(detail["incident_type"]), language)),
        category=int(category),
        category_name=label(category, language),
        tlp=detail["tlp"],
        detected_at=uk_datetime(_moment(detail["detected_at"]), language),
        aware_at=uk_datetime(_moment(detail["aware_at"]), language),
    )


def _triaged(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    category = NcscCategory(int(detail["category"]))
    parts = [
        _fill(
            translate(language, "Council assessment: category %(category)s (%(category_name)s)"),
            category=int(category),
            category_name=label(category, language),
        )
    ]
    if detail.get("significant"):
        parts.append(translate(language, "significant"))
    if detail.get("personal_data"):
        parts.append(translate(language, "personal data involved"))
    if detail.get("personal_data_risk"):
        risk = label(PersonalDataRisk(detail["personal_data_risk"]), language)
        parts.append(_lowered(risk))
    sentence = "; ".join(parts)
    if detail.get("exercise"):
        sentence = _fill(translate(language, "%(what)s (exercise)"), what=sentence)
    return sentence


def _change(field: str, before: Any, after: Any, language: Language) -> str:
    """One field a reassessment changed, as a phrase."""
    if field == "category":
        return _fill(
            translate(language, "category changed from %(before)s to %(after)s"),
            before=int(before),
            after=int(after),
        )
    if field == "significant":
        if after:
            return translate(language, "now significant")
        return translate(language, "no longer significant")
    if field == "personal_data":
        if after:
            return translate(language, "personal data involved")
        return translate(language, "no personal data involved")
    if field == "personal_data_risk":
        return _fill(
            translate(language, "risk to people now: %(risk)s"),
            risk=_lowered(label(PersonalDataRisk(after), language)),
        )
    if field == "breach_aware_at":
        return _fill(
            translate(language, "council aware of the personal data breach: %(moment)s"),
            moment=uk_datetime(_moment(after), language),
        )
    if field == "email_compromised":
        if after:
            return translate(language, "email compromised")
        return translate(language, "email not compromised")
    raise ValueError(f"no words for {field}")


def _reassessed(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    before, after = detail["before"], detail["after"]
    if not after:
        raise ValueError("nothing changed")
    changes = "; ".join(_change(f, before.get(f), v, language) for f, v in after.items())
    sentence = _fill(translate(language, "Reassessed: %(changes)s"), changes=changes)
    return _with_reason(sentence, detail.get("reason"), language)


# ------------------------------------------------------------------ the escalation chains


def _requested(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    values = {"name": detail["name"], "role": _role(detail["role"], language)}
    if "respond_by" in detail:
        sentence = _fill(
            translate(language, "Asked %(name)s (%(role)s) to acknowledge by %(respond_by)s"),
            respond_by=uk_datetime(_moment(detail["respond_by"]), language),
            **values,
        )
    else:
        sentence = _fill(translate(language, "Asked %(name)s (%(role)s) to acknowledge"), **values)
    if detail.get("already_told"):
        sentence = _fill(
            translate(
                language, "%(what)s; already asked through the other chain, so no second email"
            ),
            what=sentence,
        )
    return sentence


def _escalated(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    found = re.fullmatch(r"Escalated to (.+?): (.+) did not acknowledge", summary)
    if found is None:
        raise ValueError("the summary is not in the expected form")
    name = detail.get("name") or found[1]
    if name != found[1]:
        raise ValueError("the summary names someone else")
    values = {"name": name, "role": _role(detail["role"], language), "previous": found[2]}
    if "respond_by" in detail:
        return _fill(
            translate(
                language,
                "Escalated to %(name)s (%(role)s) because %(previous)s did not acknowledge; "
                "to acknowledge by %(respond_by)s",
            ),
            respond_by=uk_datetime(_moment(detail["respond_by"]), language),
            **values,
        )
    return _fill(
        translate(
            language, "Escalated to %(name)s (%(role)s) because %(previous)s did not acknowledge"
        ),
        **values,
    )


def _reminder(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    found = re.fullmatch(r"Reminder (\d+) sent to (.+)", summary)
    if found is None or ("name" in detail and detail["name"] != found[2]):
        raise ValueError("the summary is not in the expected form")
    values = {"number": int(found[1]), "name": found[2]}
    if "respond_by" in detail:
        return _fill(
            translate(
                language, "Reminder %(number)s sent to %(name)s, to acknowledge by %(respond_by)s"
            ),
            respond_by=uk_datetime(_moment(detail["respond_by"]), language),
            **values,
        )
    return _fill(translate(language, "Reminder %(number)s sent to %(name)s"), **values)


def _level_skipped(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(
            language, "%(chain)s, level %(level)s: no %(role)s is named, so the chain moves on"
        ),
        chain=_chain(detail, language),
        level=int(detail["level"]),
        role=_role(detail["role"], language),
    )


def _acknowledged(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "%(name)s (%(role)s) acknowledged %(via)s"),
        name=detail["name"],
        role=_role(detail["role"], language),
        via=label(AcknowledgementChannel(detail["via"]), language),
    )


def _unacknowledged(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "%(chain)s: nobody acknowledged; everyone has been alerted"),
        chain=_chain(detail, language),
    )


def _stopped(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    chain = _chain(detail, language)
    if summary.endswith("after nobody in the chain acknowledged"):
        return _fill(
            translate(
                language,
                "%(chain)s: escalation stopped because the incident was closed after nobody "
                "acknowledged",
            ),
            chain=chain,
        )
    return _fill(
        translate(
            language,
            "%(chain)s: escalation stopped because the incident was closed while waiting for "
            "%(name)s to acknowledge",
        ),
        chain=chain,
        name=detail["name"],
    )


# ------------------------------------------------------------------ messages


def _recipient(detail: Mapping[str, Any], name: str, language: Language) -> str:
    """Who a message went to: a body copied in is named in the reader's language."""
    if detail.get("member_id") is None:
        for body in Body:
            if body.label == name:
                return label(body, language)
    return name


#: How a message's channel is said after its recipient ("by text"); email says nothing.
_BY: dict[Channel, str] = {
    Channel.SMS: N_("by text"),
    Channel.NOTIFY_EMAIL: N_("by Notify email"),
    Channel.TEAMS: N_("by Teams"),
}
#: Who a Teams card goes to, as the workflow names it.
_TEAMS_CHANNEL = "the Teams channel"
#: Why a message was not delivered, as the workflow writes a timeout: "no delivery within 5
#: minutes", "... 1 minute", "... 90 seconds".
_NO_DELIVERY_WITHIN = re.compile(r"no delivery within (\d+) (minutes?|seconds)")


class _Message:
    """A message event's recipient and channel, read back from its summary and detail; the
    summary is `f"{start}{message label} to {name}{by}{end}"` (the workflow's `_by`)."""

    def __init__(self, detail: Mapping[str, Any], summary: str, start: str, end: str = ""):
        self.kind = NotificationKind(detail["notification"])
        self.channel = Channel(detail.get("channel") or Channel.EMAIL)
        by = "" if self.channel is Channel.EMAIL else f" by {self.channel.phrase}"
        self.name = _between(summary, f"{start}{self.kind.label} to ", f"{by}{end}")
        if self.channel is Channel.TEAMS and self.name != _TEAMS_CHANNEL:
            raise ValueError("a Teams card goes to the Teams channel")
        self.detail = detail

    @property
    def teams(self) -> bool:
        return self.channel is Channel.TEAMS

    def values(self, language: Language) -> dict[str, Any]:
        values = {"message": label(self.kind, language)}
        if not self.teams:
            values["name"] = _recipient(self.detail, self.name, language)
        if self.channel in _BY:
            values["by"] = translate(language, _BY[self.channel])
        return values


def _sent(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    attempts = detail.get("attempts")
    sent = _Message(detail, summary, "Sent ", f" after {attempts} attempts" if attempts else "")
    values = sent.values(language)
    if attempts:
        values["attempts"] = int(attempts)
        if sent.teams:
            template = N_("Sent %(message)s to the Teams channel after %(attempts)s attempts")
            return _fill(translate(language, template), **values)
        if "by" in values:
            template = N_("Sent %(message)s to %(name)s %(by)s after %(attempts)s attempts")
            return _fill(translate(language, template), **values)
        template = N_("Sent %(message)s to %(name)s after %(attempts)s attempts")
        return _fill(translate(language, template), **values)
    if sent.teams:
        return _fill(translate(language, "Sent %(message)s to the Teams channel"), **values)
    if "by" in values:
        return _fill(translate(language, "Sent %(message)s to %(name)s %(by)s"), **values)
    return _fill(translate(language, "Sent %(message)s to %(name)s"), **values)


def _failed(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    """The channel's own error is left to the audit page: it is the server's English."""
    start, _, _ = summary.partition(": ")
    if start == summary:
        raise ValueError("the summary is not in the expected form")
    failed = _Message(detail, start, "Could not deliver ")
    values = failed.values(language)
    if failed.teams:
        return _fill(
            translate(language, "Could not deliver %(message)s to the Teams channel"), **values
        )
    if "by" in values:
        return _fill(
            translate(language, "Could not deliver %(message)s to %(name)s %(by)s"), **values
        )
    return _fill(translate(language, "Could not deliver %(message)s to %(name)s"), **values)


def _delivered(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    delivered = _Message(detail, summary, "Delivered ")
    values = delivered.values(language)
    if delivered.teams:
        return _fill(translate(language, "Delivered %(message)s to the Teams channel"), **values)
    if "by" in values:
        return _fill(translate(language, "Delivered %(message)s to %(name)s %(by)s"), **values)
    return _fill(translate(language, "Delivered %(message)s to %(name)s"), **values)


def _why_undelivered(detail: Mapping[str, Any], why: str, language: Language) -> str:
    outcome = detail["outcome"]
    if outcome != "timed-out":
        failure = DeliveryOutcome(outcome)
        if not failure.failed:
            raise ValueError("not a failure")
        return label(failure, language)
    found = _NO_DELIVERY_WITHIN.fullmatch(why)
    if found is None:
        raise ValueError("the summary is not in the expected form")
    amount = int(found[1])
    span = timedelta(seconds=amount) if found[2] == "seconds" else timedelta(minutes=amount)
    return _fill(
        translate(language, "no delivery within %(span)s"), span=exact_span(span, language)
    )


def _undelivered(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    found = re.fullmatch(r"(.+) \(([^()]+)\)", summary)
    if found is None:
        raise ValueError("the summary is not in the expected form")
    undelivered = _Message(detail, found[1], "Not delivered: ")
    values = undelivered.values(language) | {"why": _why_undelivered(detail, found[2], language)}
    if undelivered.teams:
        template = N_("Not delivered: %(message)s to the Teams channel (%(why)s)")
        return _fill(translate(language, template), **values)
    if "by" in values:
        template = N_("Not delivered: %(message)s to %(name)s %(by)s (%(why)s)")
        return _fill(translate(language, template), **values)
    return _fill(translate(language, "Not delivered: %(message)s to %(name)s (%(why)s)"), **values)


def _unreachable(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    name = _between(summary, "", " could not be reached on any channel")
    channels = [label(Channel(channel), language) for channel in detail["channels"]]
    if not channels or Channel.TEAMS.value in detail["channels"]:
        raise ValueError("a member is reached on personal channels")
    return _fill(
        translate(
            language, "%(name)s (%(role)s) could not be reached on any channel: tried %(channels)s"
        ),
        name=_recipient(detail, name, language),
        role=_role(detail["role"], language),
        channels=", ".join(_lowered(channel) for channel in channels),
    )


# ------------------------------------------------------------------ reporting obligations


def _due(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    values = {
        "body": _body(detail, language),
        "deadline": uk_datetime(_moment(detail["deadline"]), language),
    }
    if "owner" in detail:
        return _fill(
            translate(
                language, "Report to %(body)s required by %(deadline)s (responsible: %(owner)s)"
            ),
            owner=_role(detail["owner"], language),
            **values,
        )
    return _fill(translate(language, "Report to %(body)s required by %(deadline)s"), **values)


def _obligation_reminder(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    deadline = _moment(detail["deadline"]) if "deadline" in detail else _summary_moment(summary)
    return _fill(
        translate(language, "Reminder %(number)s: report to %(body)s due by %(deadline)s"),
        number=int(detail["reminder_number"]),
        body=_body(detail, language),
        deadline=uk_datetime(deadline, language),
    )


def _overdue(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "Deadline missed: %(body)s not told by %(deadline)s"),
        body=_body(detail, language),
        deadline=uk_datetime(_moment(detail["deadline"]), language),
    )


def _submitted(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    parts = [
        _fill(
            translate(language, "%(phase)s submitted to %(body)s on %(submitted_at)s"),
            phase=label(SubmissionPhase(detail.get("phase", "initial")), language),
            body=_body(detail, language),
            submitted_at=uk_datetime(_moment(detail["submitted_at"]), language),
        )
    ]
    if detail.get("reference"):
        parts.append(
            _fill(translate(language, "reference %(reference)s"), reference=detail["reference"])
        )
    if detail.get("late_reason"):
        parts.append(_fill(translate(language, "late: %(reason)s"), reason=detail["late_reason"]))
    elif detail.get("late"):
        parts.append(translate(language, "late"))
    if detail.get("after_closure"):
        parts.append(translate(language, "after closure"))
    return "; ".join(parts)


def _waived(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = _fill(
        translate(language, "Decided not to tell %(body)s"), body=_body(detail, language)
    )
    return _with_reason(sentence, detail.get("reason"), language)


def _reopened(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(
            language, "Decision not to tell %(body)s reopened: the risk was reassessed higher"
        ),
        body=_body(detail, language),
    )


def _not_required(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = _fill(
        translate(language, "Reporting to %(body)s is no longer required"),
        body=_body(detail, language),
    )
    return _with_reason(sentence, detail.get("reason"), language)


def _suppressed(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "Exercise: %(body)s was not told"), body=_body(detail, language)
    )


def _breach_amended(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    fields = [translate(language, _BREACH_FIELDS[field]) for field in detail["fields"]]
    if not fields:
        raise ValueError("no fields")
    return _fill(
        translate(language, "Breach register entry amended: %(fields)s"), fields=", ".join(fields)
    )


# ------------------------------------------------------------------ the incident's course


def _contained(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _with_note(translate(language, "Incident contained"), detail.get("note"), language)


def _recovered(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _with_note(translate(language, "Services recovered"), detail.get("note"), language)


def _closed(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = translate(language, "Incident closed")
    if not detail.get("summary"):
        return sentence
    return _fill(
        translate(language, "%(what)s. Closing summary: %(summary)s"),
        what=sentence,
        summary=detail["summary"],
    )


def _with_note(sentence: str, note: object, language: Language) -> str:
    if not note:
        return sentence
    return _fill(translate(language, "%(what)s. Note: %(note)s"), what=sentence, note=note)


# ------------------------------------------------------------------ campaigns


def _campaign_linked(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    """The campaign's name only if the timeline recorded it (its marking allowed it)."""
    if detail.get("name"):
        return _fill(
            translate(language, "Linked by the central team to the campaign “%(name)s”"),
            name=detail["name"],
        )
    return translate(language, "Linked by the central team to a campaign it is coordinating")


def _campaign_unlinked(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    if detail.get("name"):
        return _fill(
            translate(language, "Taken out of the campaign “%(name)s” by the central team"),
            name=detail["name"],
        )
    return translate(language, "Taken out of a campaign by the central team")


# ------------------------------------------------------------------ the post-incident review

#: The review's findings, as a change to them is named.
_REVIEW_FIELDS: dict[str, str] = {
    "root_cause": N_("root cause"),
    "went_well": N_("what went well"),
    "went_badly": N_("what did not go well"),
    "lessons": N_("lessons"),
    "commitments": N_("commitments touched"),
}
_DAY_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}


def _owner(owner: Mapping[str, Any], language: Language) -> str:
    """A review's or an action's owner as recorded: the role's holder, or one of the
    authority's people, by name."""
    name = str(owner.get("name") or "")
    if owner.get("member_role"):
        role = _role(owner["member_role"], language)
        return f"{name} ({role})" if name else role
    if not name:
        raise ValueError("an owner with no name")
    return name


def _day(value: str, language: Language) -> str:
    return format_date(date.fromisoformat(value), "EEEE d MMMM y", locale=_DAY_LOCALES[language])


def _review_started(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "Post-incident review started: owned by %(owner)s, due by %(due)s"),
        owner=_owner(detail["owner"], language),
        due=_day(detail["due_on"], language),
    )


def _review_owner_named(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "The review's owner named: %(owner)s"),
        owner=_owner(detail["owner"], language),
    )


def _review_updated(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    fields = [translate(language, _REVIEW_FIELDS[field]) for field in detail["changes"]]
    if not fields:
        raise ValueError("no fields")
    return _fill(translate(language, "Review updated: %(fields)s"), fields=", ".join(fields))


def _review_reminded(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return translate(language, "The review's owner reminded: the review is due soon")


def _review_overdue(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return translate(
        language, "Review overdue: the chief executive and the senior management member told"
    )


def _review_signed_off(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = translate(language, "Post-incident review signed off")
    return _with_note(sentence, detail.get("note"), language)


def _action_added(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(
            language, "Action %(number)s added: %(title)s; owned by %(owner)s, due by %(due)s"
        ),
        number=int(detail["number"]),
        title=detail["title"],
        owner=_owner(detail["owner"], language),
        due=_day(detail["due_on"], language),
    )


def _action_reminded(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "Action %(number)s overdue: its owner reminded"),
        number=int(detail["number"]),
    )


def _action_escalated(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    return _fill(
        translate(language, "Action %(number)s still open: the senior management member told"),
        number=int(detail["number"]),
    )


def _action_done(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    done = (
        N_("Action %(number)s done, after its due date")
        if detail.get("in_time") is False
        else N_("Action %(number)s done")
    )
    sentence = _fill(translate(language, done), number=int(detail["number"]))
    return _with_note(sentence, detail.get("note"), language)


def _action_risk_accepted(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = _fill(
        translate(language, "Action %(number)s will not be done: its risk accepted"),
        number=int(detail["number"]),
    )
    return _with_reason(sentence, detail.get("reason"), language)


# ------------------------------------------------------------------ public statements


def _in_language(words: str, language: Language) -> str:
    """One half of what the timeline keeps as "English / Welsh" (an approver's name and role)."""
    parts = words.split(" / ")
    if len(parts) != 2:
        return words
    return parts[1] if language is Language.WELSH else parts[0]


def _statement_published(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    content = detail["content"]
    return _fill(
        translate(
            language,
            "Public statement “%(title)s” published (version %(version)s), approved by "
            "%(approver)s; SHA-256 %(sha256)s",
        ),
        title=content[f"title_{language.value}"],
        version=detail["version"],
        approver=_in_language(detail["approver"], language),
        sha256=detail["content_sha256"],
    )


def _statement_withdrawn(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = _fill(
        translate(language, "Public statement %(number)s withdrawn from the public page"),
        number=detail["statement_id"],
    )
    return _with_reason(sentence, detail.get("reason"), language)


# ------------------------------------------------------------------ evidence


def _file_size(size: int, language: Language) -> str:
    if size < 1024:
        return translate(language, "%(count)s bytes") % {"count": size}
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _evidence_added(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    sentence = _fill(
        translate(language, "Evidence added: %(name)s (%(size)s, SHA-256 %(sha256)s)"),
        name=detail["name"],
        size=_file_size(int(detail["size"]), language),
        sha256=detail["sha256"],
    )
    if not detail.get("description"):
        return sentence
    return _fill(
        translate(language, "%(what)s. Description: %(description)s"),
        what=sentence,
        description=detail["description"],
    )


def _custody_transferred(detail: Mapping[str, Any], summary: str, language: Language) -> str:
    parts = [
        _fill(
            translate(
                language,
                "Evidence handed over to %(name)s (%(recipient)s) on %(when)s; how: %(method)s; "
                "files: %(count)s",
            ),
            name=detail["recipient_name"],
            recipient=label(CustodyRecipient(detail["recipient"]), language),
            when=uk_datetime(_moment(detail["handed_over_at"]), language),
            method=_lowered(label(CustodyMethod(detail["method"]), language)),
            count=len(detail["file_ids"]),
        )
    ]
    if detail.get("reference"):
        parts.append(
            _fill(translate(language, "reference %(reference)s"), reference=detail["reference"])
        )
    return _with_note("; ".join(parts), detail.get("note"), language)


_SENTENCES: dict[EventKind, Sentence] = {
    EventKind.OPENED: _opened,
    EventKind.TRIAGED: _triaged,
    EventKind.REASSESSED: _reassessed,
    EventKind.ACKNOWLEDGEMENT_REQUESTED: _requested,
    EventKind.ESCALATED: _escalated,
    EventKind.REMINDER_SENT: _reminder,
    EventKind.LEVEL_SKIPPED: _level_skipped,
    EventKind.ACKNOWLEDGED: _acknowledged,
    EventKind.UNACKNOWLEDGED: _unacknowledged,
    EventKind.ESCALATION_STOPPED: _stopped,
    EventKind.NOTIFICATION_SENT: _sent,
    EventKind.NOTIFICATION_FAILED: _failed,
    EventKind.NOTIFICATION_DELIVERED: _delivered,
    EventKind.NOTIFICATION_UNDELIVERED: _undelivered,
    EventKind.MEMBER_UNREACHABLE: _unreachable,
    EventKind.OBLIGATION_DUE: _due,
    EventKind.OBLIGATION_REMINDER: _obligation_reminder,
    EventKind.OBLIGATION_OVERDUE: _overdue,
    EventKind.OBLIGATION_SUBMITTED: _submitted,
    EventKind.OBLIGATION_WAIVED: _waived,
    EventKind.OBLIGATION_REOPENED: _reopened,
    EventKind.OBLIGATION_NOT_REQUIRED: _not_required,
    EventKind.BODY_NOTIFICATION_SUPPRESSED: _suppressed,
    EventKind.BREACH_RECORD_AMENDED: _breach_amended,
    EventKind.CAMPAIGN_LINKED: _campaign_linked,
    EventKind.CAMPAIGN_UNLINKED: _campaign_unlinked,
    EventKind.EVIDENCE_ADDED: _evidence_added,
    EventKind.CUSTODY_TRANSFERRED: _custody_transferred,
    EventKind.STATEMENT_PUBLISHED: _statement_published,
    EventKind.STATEMENT_WITHDRAWN: _statement_withdrawn,
    EventKind.CONTAINED: _contained,
    EventKind.RECOVERED: _recovered,
    EventKind.CLOSED: _closed,
    EventKind.REVIEW_STARTED: _review_started,
    EventKind.REVIEW_OWNER_NAMED: _review_owner_named,
    EventKind.REVIEW_UPDATED: _review_updated,
    EventKind.REVIEW_REMINDED: _review_reminded,
    EventKind.REVIEW_OVERDUE: _review_overdue,
    EventKind.REVIEW_SIGNED_OFF: _review_signed_off,
    EventKind.ACTION_ADDED: _action_added,
    EventKind.ACTION_REMINDED: _action_reminded,
    EventKind.ACTION_ESCALATED: _action_escalated,
    EventKind.ACTION_DONE: _action_done,
    EventKind.ACTION_RISK_ACCEPTED: _action_risk_accepted,
}
