"""The post-incident review pages: a closed incident's review (its key moments, findings,
actions and sign-off, and follow-ups after closure), its report as a page and ready to print,
an authority's lessons list, and the central team's lessons across Wales.

The review's forms are `web.pages.post_incident_forms`, which shows the review again through
`show_review` when a form is refused, beside the form it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from domain.access import Permission
from domain.commitments import Commitment
from domain.obligations import Body
from domain.vocabulary import Language
from models import Authority, Incident, User
from notifications.labels import COMMITMENT_NAMES, label
from services import post_incident_reviews as reviews
from services.incidents import authority_of
from translations import N_, translate
from web.api.admin import Code
from web.api.post_incident_models import IncidentReviewView
from web.api.post_incident_operations import authority_lessons, current_review, readable_authority
from web.deps import Caller, SessionDep, TemporalDep, readable_incident
from web.i18n import page_language, time_span
from web.pages.common import PageReadsIncidents, PageReadsNational, render
from web.pages.saved_banner import saved_banner

router = APIRouter(include_in_schema=False)

_LOCALES = {Language.ENGLISH: "en_GB", Language.WELSH: "cy"}

#: Each key moment of the incident, in words.
MOMENT_WORDS: dict[str, str] = {
    "detected": N_("Detected"),
    "aware": N_("The council became aware"),
    "opened": N_("Opened in Concordat"),
    "acknowledged": N_("First acknowledged"),
    "told": N_("Reported to %(body)s"),
    "follow_up": N_("Follow-up sent to %(body)s"),
    "contained": N_("Contained"),
    "recovered": N_("Services recovered"),
    "closed": N_("Closed"),
}

#: How each review status reads as a tag.
STATUS_COLOURS = {
    "not_started": "govuk-tag--grey",
    "open": "govuk-tag--blue",
    "signed_off": "govuk-tag--green",
}
ACTION_COLOURS = {
    "open": "govuk-tag--blue",
    "done": "govuk-tag--green",
    "risk_accepted": "govuk-tag--yellow",
}


def day_of(day: date | None, language: Language) -> str:
    """A day as the pages say it: "Monday 4 January 2027", "Dydd Llun 4 Ionawr 2027"."""
    if day is None:
        return ""
    return format_date(day, "EEEE d MMMM y", locale=_LOCALES[language])


def _owner_items(owners: list[User], language: Language) -> Callable[[str], list[dict[str, Any]]]:
    """The choices of owner for a select: the senior management member, then the authority's
    people; `chosen` is the value sent (a user's id, or empty)."""

    def items(chosen: str) -> list[dict[str, Any]]:
        first = {"value": "", "text": translate(language, SENIOR_WORDS), "selected": not chosen}
        return [first] + [
            {"value": str(user.id), "text": user.name, "selected": chosen == str(user.id)}
            for user in owners
        ]

    return items


SENIOR_WORDS = N_("The senior management member")


def _words(language: Language) -> dict[str, Any]:
    """What the review's templates need to say things in the reader's language."""
    return {
        "day_of": lambda day: day_of(day, language),
        "after_detection": lambda seconds: time_span(timedelta(seconds=seconds), language),
        "commitment_title": lambda letter: COMMITMENT_NAMES[language][Commitment(letter)],
        "commitments": [c.value for c in Commitment],
        "status_colours": STATUS_COLOURS,
        "action_colours": ACTION_COLOURS,
        "moment_words": lambda moment: (
            translate(language, MOMENT_WORDS[moment.what])
            % {"body": label(moment.body, language) if moment.body else ""}
        ),
    }


async def page_incident(
    incident_id: str, caller: Caller, session: SessionDep, *, acting: bool = False
) -> Incident:
    """An incident the caller may read (and, `acting`, act for); any other is a 404."""
    incident = await readable_incident(incident_id, caller, session)
    if acting and not caller.may_act_for(incident.authority_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such incident.")
    return incident


def _may(caller: Caller, incident: Incident, permission: Permission) -> bool:
    return caller.may_act_for(incident.authority_id) and caller.can(permission)


def _open_actions(review: IncidentReviewView) -> list[str]:
    """The actions that stop the review being signed off, by number."""
    return [str(action.number) for action in review.actions if action.state == "open"]


async def show_review(
    request: Request,
    caller: Caller,
    incident: Incident,
    *,
    session: SessionDep,
    temporal: TemporalDep,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    template: str = "post_incident.html.j2",
) -> Response:
    """The review (or its report) as this reader sees it, with what they may do; a refused
    form comes back through here with its `errors` and the `values` it was sent."""
    language = page_language(request)
    authority = await authority_of(incident, session=session)
    owners = await reviews.possible_owners(incident.authority_id, session=session)
    review = await current_review(incident, session=session, temporal=temporal)
    is_open = review.status == "open"
    return render(
        request,
        template,
        status_code=status_code,
        section="national" if caller.authority_id is None else "incidents",
        banner=saved_banner(request),
        incident=incident,
        authority=authority,
        authority_name=authority.name_cy if language is Language.WELSH else authority.name_en,
        review=review,
        owner_items=_owner_items(owners, language),
        bodies=list(Body),
        open_actions=_open_actions(review),
        can_start=review.status == "not_started"
        and incident.closed_at is not None
        and _may(caller, incident, Permission.REVIEW_INCIDENTS),
        can_review=is_open and _may(caller, incident, Permission.REVIEW_INCIDENTS),
        can_sign_off=is_open and _may(caller, incident, Permission.SIGN_OFF_REVIEWS),
        can_follow_up=incident.closed_at is not None
        and _may(caller, incident, Permission.RUN_INCIDENTS),
        can_read_lessons=caller.may_read(incident.authority_id),
        errors=errors or {},
        values=values or {},
        **_words(language),
    )


@router.get("/incidents/{incident_id}/review")
async def review_page(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    incident = await page_incident(incident_id, caller, session)
    return await show_review(request, caller, incident, session=session, temporal=temporal)


@router.get("/incidents/{incident_id}/review/report")
async def review_report(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """The review as a report, in the reader's language (the switch gives the other)."""
    incident = await page_incident(incident_id, caller, session)
    return await show_review(
        request,
        caller,
        incident,
        session=session,
        temporal=temporal,
        template="post_incident_report.html.j2",
    )


@router.get("/incidents/{incident_id}/review/report/print")
async def review_report_print(
    request: Request,
    incident_id: str,
    caller: PageReadsIncidents,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """The report ready to print: A4, no navigation."""
    incident = await page_incident(incident_id, caller, session)
    return await show_review(
        request,
        caller,
        incident,
        session=session,
        temporal=temporal,
        template="post_incident_report_print.html.j2",
    )


# ---------------------------------------------------------------- lessons


@router.get("/lessons/{code}")
async def lessons_page(
    request: Request, code: Code, caller: PageReadsIncidents, session: SessionDep
) -> Response:
    """The authority's lessons list and its actions' figures."""
    language = page_language(request)
    authority = await readable_authority(code, caller, session)
    found, figures = await authority_lessons(authority, session=session)
    return render(
        request,
        "lessons.html.j2",
        section="national" if caller.authority_id is None else "incidents",
        authority=authority,
        authority_name=_name(authority, language),
        lessons=found,
        figures=figures,
        **_words(language),
    )


def _name(authority: Authority, language: Language) -> str:
    return authority.name_cy if language is Language.WELSH else authority.name_en


@router.get("/wales/lessons")
async def national_lessons_page(
    request: Request, caller: PageReadsNational, session: SessionDep
) -> Response:
    """Every authority's lessons and actions' figures, for the central team."""
    language = page_language(request)
    lines, wales = await reviews.national_lessons(session=session)
    lines.sort(key=lambda line: _name(line.authority, language).casefold())
    return render(
        request,
        "lessons_wales.html.j2",
        section="national",
        lines=lines,
        wales=wales,
        lessons=[lesson for line in lines for lesson in line.lessons],
        name_of=lambda authority: _name(authority, language),
        lesson_authority=lambda lesson: (
            lesson.authority_name_cy if language is Language.WELSH else lesson.authority_name_en
        ),
        **_words(language),
    )
