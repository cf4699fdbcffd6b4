"""The annual review pages: an authority's review of a year, where its senior management
member (or administrator) submits it and the central team accepts or returns it; and the
central team's list of every authority's review of a year, where a review is opened by hand.

Every form goes through the same checks and the same workflow as the API (`web.api.reviews`);
a refusal is shown on the page, beside the form it is about, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from domain.access import Permission
from domain.commitments import EVIDENCE, review_year_label, review_year_of
from domain.reviews import AcceptReview, ReturnReview, SubmitReview, year_just_ended
from domain.vocabulary import Language
from models import AnnualReview, Authority
from services.directory import authority_by_code
from services.reviews import events_of, review_of
from translations import N_, translate
from web.api.admin import Code
from web.api.reviews import (
    AcceptanceRequest,
    OpenRequest,
    ReturnRequest,
    SubmissionRequest,
    commitments_of,
    decide,
    is_overdue,
    now,
    start_review,
    summaries,
    this_day,
)
from web.deps import Caller, SessionDep, SettingsDep, TemporalDep
from web.i18n import in_language, page_language
from web.operations import OperationError
from web.pages.admin_common import NOT_FOUND
from web.pages.commitments import STATUS_COLOURS, STATUS_WORDS, TITLES
from web.pages.common import (
    FormData,
    PageEditsCommitments,
    PageManagesNational,
    PageReadsCommitments,
    PageReadsNational,
    from_form,
    render,
)
from web.pages.form_errors import FieldWords, field_errors
from web.pages.saved_banner import saved_banner, say_saved
from workflows import AnnualReviewWorkflow

router = APIRouter(include_in_schema=False)

Year = Annotated[int, Path(ge=2000, le=2199)]

#: How each state reads (a GOV.UK tag's words and colour).
STATES: dict[str | None, tuple[str, str]] = {
    None: (N_("Not opened"), "govuk-tag--grey"),
    "open": (N_("Open"), "govuk-tag--blue"),
    "submitted": (N_("Submitted"), "govuk-tag--yellow"),
    "returned": (N_("Returned"), "govuk-tag--orange"),
    "accepted": (N_("Accepted"), "govuk-tag--green"),
}
OVERDUE = (N_("Overdue"), "govuk-tag--red")

#: What each event on a review's record is, in words.
EVENT_WORDS: dict[str, str] = {
    "opened": N_("Review opened"),
    "reminder_sent": N_("Reminder sent to the senior management member"),
    "escalated": N_("Overdue: escalated to the chief executive and the central team"),
    "submitted": N_("Submitted"),
    "returned": N_("Returned with comments"),
    "accepted": N_("Accepted: the review is closed"),
}


def state_tag(state: str | None, overdue: bool, language: Language) -> dict[str, str]:
    words, colour = OVERDUE if overdue else STATES[state]
    return {"text": translate(language, words), "classes": colour}


def commitment_words(language: Language) -> dict[str, Any]:
    """How the pages name each commitment and status (`web.pages.commitments`), for a
    template: `title_of(commitment)`, `status_of(status)`, each status's tag colour, and
    which commitments are attested (the others are worked out)."""
    return {
        "title_of": lambda commitment: translate(language, TITLES[commitment]),
        "status_of": lambda status: translate(language, STATUS_WORDS[status]),
        "status_colours": {status.value: colour for status, colour in STATUS_COLOURS.items()},
        "attested": frozenset(EVIDENCE),
    }


def review_path(authority: Authority, year: int, *parts: str) -> str:
    return "/".join((f"/reviews/{authority.code}/{year}", *parts)).rstrip("/")


async def _readable_authority(
    code: Code, caller: PageReadsCommitments, session: SessionDep
) -> Authority:
    """An authority the caller may read; any other is a 404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or not caller.may_read(authority.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return authority


ReadableAuthority = Annotated[Authority, Depends(_readable_authority)]


def _may_submit(caller: Caller, authority: Authority, review: AnnualReview | None) -> bool:
    return (
        review is not None
        and review.state in ("open", "returned")
        and caller.can(Permission.EDIT_COMMITMENTS)
        and caller.authority_id == authority.id
    )


def _may_decide(caller: Caller, review: AnnualReview | None) -> bool:
    return (
        review is not None
        and review.state == "submitted"
        and caller.can(Permission.MANAGE_NATIONAL)
    )


async def _show(
    request: Request,
    caller: Caller,
    authority: Authority,
    year: int,
    *,
    session: SessionDep,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    language = page_language(request)
    assert authority.id is not None
    review = await review_of(authority.id, year, session=session)
    commitments = await commitments_of(review, authority, session=session)
    events = await events_of(review, session=session) if review is not None else []
    own = caller.authority_id == authority.id
    overdue = review is not None and is_overdue(review, now())
    return render(
        request,
        "review.html.j2",
        status_code=status_code,
        section="national" if caller.can(Permission.READ_NATIONAL) else "commitments",
        banner=saved_banner(request),
        authority=authority,
        name=authority.name_cy if language is Language.WELSH else authority.name_en,
        year=year,
        label=review_year_label(year),
        review=review,
        overdue=overdue,
        tag=state_tag(review.state if review else None, overdue, language),
        commitments=commitments,
        **commitment_words(language),
        may_edit=own and caller.can(Permission.EDIT_COMMITMENTS),
        may_submit=_may_submit(caller, authority, review),
        may_decide=_may_decide(caller, review),
        may_open=review is None
        and caller.can(Permission.MANAGE_NATIONAL)
        and year <= review_year_of(this_day()),
        events=[(event, translate(language, EVENT_WORDS[event.kind])) for event in events],
        path=review_path(authority, year),
        errors=errors or {},
        values=values or {},
    )


@router.get("/reviews/{code}/{year}")
async def review_page(
    request: Request,
    year: Year,
    caller: PageReadsCommitments,
    authority: ReadableAuthority,
    session: SessionDep,
) -> Response:
    return await _show(request, caller, authority, year, session=session)


#: Each form's fields, as the page names them (ids are "<form>-<field>").
_LABELS = {
    "statement": FieldWords(N_("Statement"), N_("Enter a statement to submit with the review")),
    "comments": FieldWords(N_("Comments"), N_("Enter your comments for the authority")),
    "note": FieldWords(N_("Note")),
}


def _read(
    schema: type[BaseModel], form: dict[str, Any], prefix: str, language: Language
) -> BaseModel | dict[str, str]:
    """The form as the API's request, or its errors by field id."""
    try:
        return from_form(schema, form)
    except ValidationError as invalid:
        labels = {
            name: FieldWords(
                translate(language, words.label),
                translate(language, words.missing) if words.missing else None,
            )
            for name, words in _LABELS.items()
        }
        return {
            f"{prefix}-{field}": message
            for field, message in field_errors(invalid, language, labels).items()
        }


@dataclass(frozen=True)
class _ReviewForm:
    """One of the review's forms: what it reads, what it asks of the review's workflow, and
    the banner that says it was done."""

    prefix: str
    """Its fields' ids on the page are "<prefix>-<field>"."""
    field: str
    """The field a refusal of the whole request is shown beside."""
    schema: type[BaseModel]
    command: Callable[[Any, str], BaseModel]
    """The workflow's request, from the form as read and the caller's name."""
    update_method: Any
    saved: str


_SUBMISSION = _ReviewForm(
    prefix="submit",
    field="statement",
    schema=SubmissionRequest,
    command=lambda read, actor: SubmitReview(actor=actor, statement=read.statement),
    update_method=AnnualReviewWorkflow.submit,
    saved=N_("The review has been submitted to the central team"),
)
_ACCEPTANCE = _ReviewForm(
    prefix="accept",
    field="note",
    schema=AcceptanceRequest,
    command=lambda read, actor: AcceptReview(actor=actor, note=read.note or None),
    update_method=AnnualReviewWorkflow.accept,
    saved=N_("The review has been accepted and closed"),
)
_RETURN = _ReviewForm(
    prefix="return",
    field="comments",
    schema=ReturnRequest,
    command=lambda read, actor: ReturnReview(actor=actor, comments=read.comments),
    update_method=AnnualReviewWorkflow.return_review,
    saved=N_("The review has been returned to the authority with your comments"),
)


async def _act(
    request: Request,
    caller: Caller,
    authority: Authority,
    year: int,
    form: dict[str, Any],
    which: _ReviewForm,
    *,
    session: SessionDep,
    temporal: TemporalDep,
) -> Response:
    """Read one of the review's forms, send it to the review's workflow, and come back to the
    review with a banner; or show the page again with what is wrong, beside the form's field
    (a refusal of the whole request too)."""
    language = page_language(request)
    prefix = which.prefix
    values = {f"{prefix}-{key}": str(value) for key, value in form.items()}
    assert authority.id is not None
    review = await review_of(authority.id, year, session=session)
    if review is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    read = _read(which.schema, form, prefix, language)
    if isinstance(read, dict):
        return await _show(
            request,
            caller,
            authority,
            year,
            session=session,
            errors=read,
            values=values,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    try:
        await decide(
            review,
            which.update_method,
            which.command(read, caller.name),
            session=session,
            temporal=temporal,
        )
    except OperationError as refused:
        return await _show(
            request,
            caller,
            authority,
            year,
            session=session,
            errors={f"{prefix}-{which.field}": in_language(refused.detail, language)},
            values=values,
            status_code=refused.status_code,
        )
    say_saved(request, which.saved)
    return RedirectResponse(review_path(authority, year), status_code=303)


async def _own_authority(
    code: Code, caller: PageEditsCommitments, session: SessionDep
) -> Authority:
    """The caller's own authority, whose review only its own people answer; any other is a
    404, as if it did not exist."""
    authority = await authority_by_code(code, session=session)
    if authority is None or authority.id is None or authority.id != caller.authority_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return authority


@router.post("/reviews/{code}/{year}/submission")
async def submit(
    request: Request,
    year: Year,
    caller: PageEditsCommitments,
    authority: Annotated[Authority, Depends(_own_authority)],
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    return await _act(
        request, caller, authority, year, form, _SUBMISSION, session=session, temporal=temporal
    )


@router.post("/reviews/{code}/{year}/acceptance")
async def accept(
    request: Request,
    year: Year,
    caller: PageManagesNational,
    authority: ReadableAuthority,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    return await _act(
        request, caller, authority, year, form, _ACCEPTANCE, session=session, temporal=temporal
    )


@router.post("/reviews/{code}/{year}/return")
async def return_review(
    request: Request,
    year: Year,
    caller: PageManagesNational,
    authority: ReadableAuthority,
    session: SessionDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    return await _act(
        request, caller, authority, year, form, _RETURN, session=session, temporal=temporal
    )


# ---------------------------------------------------------------- the central team's list


@router.get("/wales/reviews")
async def review_list(
    request: Request,
    caller: PageReadsNational,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2199)] = None,
) -> Response:
    language = page_language(request)
    current = review_year_of(this_day())
    chosen = year or year_just_ended(this_day())
    rows = await summaries(chosen, session=session)
    rows.sort(
        key=lambda row: (row.name_cy if language is Language.WELSH else row.name_en).casefold()
    )
    return render(
        request,
        "review_list.html.j2",
        section="national",
        banner=saved_banner(request),
        year=chosen,
        label=review_year_label(chosen),
        previous=chosen - 1 if chosen > 2000 else None,
        following=chosen + 1 if chosen < current else None,
        rows=[(row, state_tag(row.state, row.overdue, language)) for row in rows],
        counts={
            state: sum(1 for row in rows if row.state == state)
            for state in (None, "open", "submitted", "returned", "accepted")
        },
        overdue=sum(1 for row in rows if row.overdue),
        may_open=caller.can(Permission.MANAGE_NATIONAL) and chosen <= current,
        name_of=lambda row: row.name_cy if language is Language.WELSH else row.name_en,
    )


@router.post("/wales/reviews/open")
async def open_from_list(
    request: Request,
    caller: PageManagesNational,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    form: FormData,
) -> Response:
    language = page_language(request)
    try:
        opening = OpenRequest.model_validate(
            {"authority": str(form.get("authority", "")), "year": _whole(form.get("year"))}
        )
    except ValidationError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "Choose a council and a year from the list. / Dewiswch gyngor a blwyddyn o'r rhestr.",
        ) from None
    authority = await authority_by_code(opening.authority, session=session)
    if authority is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    try:
        _, created = await start_review(
            authority, opening.year, caller, settings=settings, session=session, temporal=temporal
        )
    except OperationError as refused:  # the error page shows it in the page's language
        raise HTTPException(refused.status_code, refused.detail) from None
    name = authority.name_cy if language is Language.WELSH else authority.name_en
    say_saved(
        request,
        N_("The review of %(council)s has been opened")
        if created
        else N_("The review of %(council)s was already open"),
        council=name,
    )
    return RedirectResponse(review_path(authority, opening.year), status_code=303)


def _whole(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None
