"""The Concordat's commitments of an authority, as pages: all seven with their status, evidence
and who attested it; a form for each of the five attested ones; and how the two derived ones
(c from the named members, g from the incidents) are worked out.

The authority's people, and the central team and auditors granted it, read them; its
administrator and its named senior management member attest them, for their own authority
only. Another authority is a 404, as if it did not exist. A form is checked as the API checks
its body (`domain.commitments.EVIDENCE`), and saved through `services.commitments`, which
records every attestation in the administration history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from domain.access import Permission
from domain.commitments import (
    ACTIVE_CYBER_DEFENCE_TOOLS,
    CLEARANCE_LEVELS,
    EVIDENCE,
    NAMED_ROLES,
    Commitment,
    CommitmentStatus,
    CommitmentView,
    uk_day,
)
from domain.obligations import ObligationState
from domain.vocabulary import Language
from models import Authority
from notifications.labels import COMMITMENT_STATUS_WORDS, COMMITMENT_TITLES, label
from services import commitments
from services.administration import Actor
from services.directory import authorities, authority_by_code
from services.temporal_gateway import WorkflowUnavailable
from translations import N_, translate
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep, refuse_without
from web.i18n import page_language
from web.pages.admin_common import NOT_FOUND, Code, authority_name
from web.pages.commitments_forms import FORMS, ReadForm, form_values, level_name, tool_name
from web.pages.common import (
    AnyPageCaller,
    FormData,
    PageEditsCommitments,
    PageReadsCommitments,
    render,
)
from web.pages.saved_banner import saved_banner, say_saved

router = APIRouter(include_in_schema=False)

#: Each commitment as the pages name it.
TITLES = COMMITMENT_TITLES

#: What the Concordat asks of the authority, under each title.
ASKS: dict[Commitment, str] = {
    Commitment.A: N_("Hold Cyber Essentials Plus certification as a minimum, renewed each year."),
    Commitment.B: N_(
        "Recognise the cyber threat as a corporate business risk, considered regularly at "
        "senior management level."
    ),
    Commitment.C: N_(
        "Name an executive member and a senior management member responsible for the cyber threat."
    ),
    Commitment.D: N_(
        "Register with the NCSC's Cyber Security Information Sharing Partnership (CiSP)."
    ),
    Commitment.E: N_("Consider and implement the NCSC's Active Cyber Defence tools."),
    Commitment.F: N_(
        "Make sure appropriate staff hold the right security clearance to respond to an incident."
    ),
    Commitment.G: N_("Report any significant cyber incident to the NCSC."),
}

STATUS_WORDS = COMMITMENT_STATUS_WORDS
STATUS_COLOURS: dict[CommitmentStatus, str] = {
    CommitmentStatus.MET: "govuk-tag--green",
    CommitmentStatus.AT_RISK: "govuk-tag--yellow",
    CommitmentStatus.NOT_MET: "govuk-tag--red",
    CommitmentStatus.UNKNOWN: "govuk-tag--grey",
}

OUTCOME_WORDS: dict[str, str] = {
    "in_time": N_("Reported in time"),
    "late": N_("Reported late"),
    "unreported": N_("Not reported"),
    "awaiting": N_("Not yet due"),
}

_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}


def day_words(day: date | str | None, language: Language) -> str:
    """A day as a person reads it: "1 April 2027", "1 Ebrill 2027"."""
    if day is None or day == "":
        return translate(language, N_("Not given"))
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return format_date(day, "d MMMM y", locale=_LOCALES[language])


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _today() -> date:
    """The day it is in Wales: statuses change at midnight UK time."""
    return uk_day(datetime.now(UTC))


def commitments_path(authority: Authority, *parts: str) -> str:
    return "/".join(("/commitments", authority.code, *parts))


# --- Whose authority ----------------------------------------------------------------------------


async def _readable(code: Code, caller: PageReadsCommitments, session: SessionDep) -> Authority:
    """An authority the reader may see; any other is a 404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return authority


async def _own(code: Code, caller: PageEditsCommitments, session: SessionDep) -> Authority:
    """The attester's own authority; any other is a 404, before the form is read."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return authority


ReadableAuthority = Annotated[Authority, Depends(_readable)]
OwnAuthority = Annotated[Authority, Depends(_own)]


def _may_edit(caller: Caller, authority: Authority) -> bool:
    return caller.can(Permission.EDIT_COMMITMENTS) and caller.authority_id == authority.id


# --- What the overview shows --------------------------------------------------------------------


@dataclass
class Card:
    """One commitment on the overview: its status and its evidence as rows to read."""

    commitment: Commitment
    title: str
    asks: str
    status: str
    colour: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    attested: str | None = None
    action: tuple[str, str] | None = None
    """Where to go from it (an address) and what the link says."""


def _words(language: Language, message: str, **values: Any) -> str:
    text = translate(language, message)
    return text % values if values else text


def _evidence_rows(view: CommitmentView, language: Language) -> list[tuple[str, str]]:
    """The evidence as the reader reads it, a row per fact."""
    evidence, say = view.evidence, lambda m, **v: _words(language, m, **v)
    if not evidence and view.commitment not in (Commitment.C, Commitment.G):
        return [(say(N_("Evidence")), say(N_("None given yet")))]
    match view.commitment:
        case Commitment.A:
            return [
                (say(N_("Certificate number")), evidence["certificate_number"]),
                (say(N_("Certification body")), evidence["certifying_body"]),
                (say(N_("Date issued")), day_words(evidence["issued_on"], language)),
                (say(N_("Expiry date")), day_words(evidence["expires_on"], language)),
            ]
        case Commitment.B:
            return [
                (say(N_("Risk register entry")), evidence["register_entry"]),
                (
                    say(N_("Risk register reference")),
                    evidence.get("register_reference") or say(N_("Not given")),
                ),
                (
                    say(N_("Last considered by senior management")),
                    day_words(evidence["last_considered_on"], language),
                ),
            ]
        case Commitment.C:
            return [
                (
                    label(role, language).capitalize(),
                    evidence.get(role.value) or say(N_("Nobody is named in this role")),
                )
                for role in NAMED_ROLES
            ]
        case Commitment.D:
            return [
                (say(N_("Organisation name in CiSP")), evidence["organisation_name"]),
                (say(N_("Date registered")), day_words(evidence["registered_on"], language)),
            ]
        case Commitment.E:
            used = [
                say(
                    N_("%(tool)s, since %(day)s"),
                    tool=tool_name(adoption["tool"], language),
                    day=day_words(adoption["adopted_on"], language),
                )
                for adoption in evidence["tools"]
            ]
            return [(say(N_("Tools in use")), "; ".join(used) or say(N_("None")))]
        case Commitment.F:
            held = [
                say(
                    N_("%(holders)s with %(level)s, expiring %(day)s"),
                    holders=group["holders"],
                    level=level_name(group["level"], language),
                    day=day_words(group["expires_on"], language),
                )
                for group in evidence["clearances"]
            ]
            return [(say(N_("Clearances held")), "; ".join(held) or say(N_("None")))]
    return _reporting_rows(view, language)


def _reporting_rows(view: CommitmentView, language: Language) -> list[tuple[str, str]]:
    incidents = view.evidence.get("incidents", [])
    counted = {
        outcome: sum(1 for i in incidents if i["outcome"] == outcome) for outcome in OUTCOME_WORDS
    }
    return [
        (_words(language, N_("Review year")), view.evidence.get("review_year_label", "")),
        (_words(language, N_("Significant incidents")), str(len(incidents))),
        *(
            (_words(language, OUTCOME_WORDS[outcome]), str(count))
            for outcome, count in counted.items()
            if count
        ),
    ]


def _card(view: CommitmentView, authority: Authority, editable: bool, language: Language) -> Card:
    letter = view.commitment.value
    attested = None
    if view.attested_by and view.attested_at:
        attested = _words(
            language,
            N_("%(name)s on %(day)s"),
            name=view.attested_by,
            day=day_words(uk_day(view.attested_at), language),
        )
    action = None
    if view.commitment in EVIDENCE and editable:
        text = N_("Change") if view.evidence else N_("Add evidence")
        action = (commitments_path(authority, letter), translate(language, text))
    elif view.commitment not in EVIDENCE:
        action = (
            commitments_path(authority, letter),
            translate(language, N_("How it is worked out")),
        )
    return Card(
        commitment=view.commitment,
        title=_words(
            language,
            N_("%(letter)s. %(title)s"),
            letter=letter,
            title=translate(language, TITLES[view.commitment]),
        ),
        asks=translate(language, ASKS[view.commitment]),
        status=translate(language, STATUS_WORDS[view.status]),
        colour=STATUS_COLOURS[view.status],
        rows=_evidence_rows(view, language),
        attested=attested,
        action=action,
    )


async def _views(
    authority: Authority, session: SessionDep, settings: SettingsDep
) -> list[CommitmentView]:
    assert authority.id is not None
    return await commitments.commitment_statuses(
        authority.id,
        session=session,
        today=_today(),
        risk_review_days=settings.risk_review_interval_days,
    )


# --- The pages ----------------------------------------------------------------------------------


@router.get("/commitments")
async def own_commitments(request: Request, caller: AnyPageCaller, session: SessionDep) -> Response:
    """The reader's own authority's commitments; a reader of several authorities (the central
    team, an auditor) chooses one."""
    refuse_without(caller, Permission.READ_COMMITMENTS)
    everyone = await authorities(authority_id=caller.authority_id, session=session)
    if caller.authority_id is not None and everyone:
        return RedirectResponse(commitments_path(everyone[0]), status_code=303)
    language = page_language(request)
    readable = [a for a in everyone if a.id is not None and caller.may_read(a.id)]
    return render(
        request,
        "commitments_authorities.html.j2",
        section="commitments",
        authorities=[(authority_name(a, language), commitments_path(a)) for a in readable],
    )


@router.get("/commitments/{code}")
async def overview(
    request: Request,
    caller: PageReadsCommitments,
    authority: ReadableAuthority,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    language = page_language(request)
    editable = _may_edit(caller, authority)
    return render(
        request,
        "commitments.html.j2",
        section="commitments",
        banner=saved_banner(request),
        name=authority_name(authority, language),
        cards=[
            _card(view, authority, editable, language)
            for view in await _views(authority, session, settings)
        ],
        editable=editable,
    )


def _derived_page(commitment: Commitment) -> Callable[..., Awaitable[Response]]:
    async def derivation(
        request: Request,
        caller: PageReadsCommitments,
        authority: ReadableAuthority,
        session: SessionDep,
        settings: SettingsDep,
    ) -> Response:
        language = page_language(request)
        views = await _views(authority, session, settings)
        view = next(v for v in views if v.commitment is commitment)
        card = _card(view, authority, False, language)
        incidents = [
            {
                "path": f"/incidents/{incident['incident_id']}",
                "reference": incident["reference"],
                "category": str(incident["category"]),
                "significant": incident["significant"],
                "aware_at": _moment(incident["aware_at"]),
                "deadline": _moment(incident["deadline"]),
                "submitted_at": _moment(incident["submitted_at"]),
                "waived": incident.get("ncsc_state") == ObligationState.WAIVED.value,
                "outcome": translate(language, OUTCOME_WORDS[incident["outcome"]]),
            }
            for incident in view.evidence.get("incidents", [])
        ]
        return render(
            request,
            "commitments_derived.html.j2",
            section="commitments",
            name=authority_name(authority, language),
            card=card,
            commitment=commitment.value,
            incidents=incidents,
            can_read_incidents=caller.can(Permission.READ_INCIDENTS),
            members_path=(
                f"/admin/{authority.code}/members"
                if caller.can(Permission.ADMINISTER) and caller.authority_id == authority.id
                else None
            ),
            back=commitments_path(authority),
        )

    return derivation


def _show_form(
    request: Request,
    authority: Authority,
    commitment: Commitment,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    language = page_language(request)
    spec = FORMS[commitment]
    return render(
        request,
        "commitments_form.html.j2",
        status_code=status_code,
        section="commitments",
        name=authority_name(authority, language),
        commitment=commitment.value,
        title=_words(
            language,
            N_("%(letter)s. %(title)s"),
            letter=commitment.value,
            title=translate(language, TITLES[commitment]),
        ),
        asks=translate(language, ASKS[commitment]),
        fields=spec.fields(language, values),
        values=values,
        errors=errors,
        tools=[(tool.code, tool_name(tool.code, language)) for tool in ACTIVE_CYBER_DEFENCE_TOOLS],
        levels=[(level.code, level_name(level.code, language)) for level in CLEARANCE_LEVELS],
        rows=spec.rows(values),
        action=commitments_path(authority, commitment.value),
        back=commitments_path(authority),
    )


def _form_page(commitment: Commitment) -> Callable[..., Awaitable[Response]]:
    async def form(
        request: Request,
        caller: PageEditsCommitments,
        authority: OwnAuthority,
        session: SessionDep,
    ) -> Response:
        assert authority.id is not None
        row = await commitments.evidence_of(authority.id, commitment, session=session)
        evidence = commitments.read_evidence(row) if row is not None else None
        return _show_form(request, authority, commitment, form_values(evidence), {})

    return form


def _save_page(commitment: Commitment) -> Callable[..., Awaitable[Response]]:
    async def save(
        request: Request,
        caller: PageEditsCommitments,
        authority: OwnAuthority,
        session: SessionDep,
        settings: SettingsDep,
        temporal: TemporalDep,
        form: FormData,
    ) -> Response:
        language = page_language(request)
        values = {key: str(value).strip() for key, value in form.items()}
        read: ReadForm = FORMS[commitment].read(values, language)
        if read.evidence is None:
            return _show_form(request, authority, commitment, values, read.errors, 422)
        try:
            await commitments.attest(
                authority,
                commitment,
                read.evidence,
                actor=Actor(name=caller.name, user_id=caller.user_id),
                session=session,
                temporal=temporal,
                task_queue=settings.task_queue,
                base_url=settings.base_url,
                today=_today(),
            )
        except commitments.DatesInFuture as refused:
            errors = FORMS[commitment].future(refused.fields, values, language)
            return _show_form(request, authority, commitment, values, errors, 422)
        except WorkflowUnavailable:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, commitments.NOT_SAVED
            ) from None
        say_saved(request, N_("Commitment %(letter)s has been attested"), letter=commitment.value)
        return RedirectResponse(commitments_path(authority), status_code=303)

    return save


for _commitment in Commitment:
    _path = f"/commitments/{{code}}/{_commitment.value}"
    if _commitment in EVIDENCE:
        router.add_api_route(_path, _form_page(_commitment), methods=["GET"])
        router.add_api_route(_path, _save_page(_commitment), methods=["POST"])
    else:
        router.add_api_route(_path, _derived_page(_commitment), methods=["GET"])
