"""GOV.UK Notify's callbacks: delivery receipts, and texts received (replies that acknowledge).

Notify calls these with the bearer token set on the service's callbacks page
(`CONCORDAT_NOTIFY_CALLBACK_TOKEN`); nothing else may. A receipt for a message we did not send
is refused (404) and changes nothing. A callback that fails for want of Temporal answers 503,
and Notify tries it again later. Both endpoints take small JSON bodies only.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import TypeVar

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field, ValidationError

from services.delivery_receipts import UnknownMessage, record_receipt
from services.temporal_gateway import WorkflowUnavailable
from services.text_replies import TextReceived, handle_reply
from web.deps import SessionDep, SettingsDep, TemporalDep
from web.schemas import Problem

log = structlog.get_logger(__name__)

router = APIRouter(
    prefix="/callbacks/notify",
    tags=["callbacks"],
    responses={
        401: {"model": Problem, "description": "No bearer token."},
        403: {"model": Problem, "description": "Not the bearer token set for Notify."},
        404: {"model": Problem, "description": "A receipt for a message Concordat did not send."},
        413: {"model": Problem, "description": "Larger than a callback."},
        422: {"model": Problem, "description": "Not a Notify callback."},
        503: {"model": Problem, "description": "Temporal is unreachable; Notify tries again."},
    },
)

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Notify's callbacks are a few hundred bytes; anything much larger is not from Notify.
MAX_CALLBACK_BYTES = 16 * 1024


def _refuse(code: int, english: str, welsh: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return HTTPException(code, f"{english} / {welsh}", headers=headers)


async def _from_notify(request: Request, settings: SettingsDep) -> None:
    """The request carries the callback bearer token (compared in constant time)."""
    expected = settings.notify_callback_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not given or scheme.lower() != "bearer":
        raise _refuse(
            status.HTTP_401_UNAUTHORIZED,
            "A bearer token is needed.",
            "Mae angen tocyn cludwr.",
        )
    if expected is None or not hmac.compare_digest(
        given.strip().encode(), expected.get_secret_value().encode()
    ):
        raise _refuse(
            status.HTTP_403_FORBIDDEN,
            "The bearer token is not the one set for Notify's callbacks.",
            "Nid y tocyn cludwr yw'r un a osodwyd ar gyfer galwadau'n ôl Notify.",
        )


FromNotify = Depends(_from_notify)


async def _body(request: Request, model: type[ModelT]) -> ModelT:
    content = await request.body()
    if len(content) > MAX_CALLBACK_BYTES:
        raise _refuse(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"A callback is at most {MAX_CALLBACK_BYTES // 1024} KiB.",
            f"Mae galwad yn ôl yn {MAX_CALLBACK_BYTES // 1024} KiB ar y mwyaf.",
        )
    try:
        return model.model_validate_json(content)
    except ValidationError as invalid:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in invalid.errors())
        raise _refuse(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"This is not a Notify callback: check {fields}.",
            f"Nid galwad yn ôl Notify yw hwn: gwiriwch {fields}.",
        ) from None


class DeliveryReceipt(BaseModel):
    """Notify's delivery receipt (the fields Concordat reads; others are ignored)."""

    id: str = Field(max_length=64)
    reference: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=40)
    notification_type: str | None = Field(default=None, max_length=20)


class ReceivedTextCallback(BaseModel):
    """Notify's callback for a text received."""

    id: str = Field(max_length=64)
    source_number: str = Field(max_length=20)
    destination_number: str | None = Field(default=None, max_length=20)
    message: str = Field(max_length=1000)
    date_received: datetime


class Handled(BaseModel):
    outcome: str


@router.post(
    "/delivery-status",
    dependencies=[FromNotify],
    response_model=Handled,
    summary="Notify's delivery receipt for a text or email Concordat sent",
)
async def delivery_status(request: Request, session: SessionDep, temporal: TemporalDep) -> Handled:
    receipt = await _body(request, DeliveryReceipt)
    try:
        await record_receipt(
            receipt.id,
            receipt.status,
            reference=receipt.reference,
            session=session,
            temporal=temporal,
        )
    except UnknownMessage:
        log.warning("delivery_receipt_unknown")
        raise _refuse(
            status.HTTP_404_NOT_FOUND,
            "Concordat sent no message with this id.",
            "Nid anfonodd Concordat neges gyda'r id hwn.",
        ) from None
    except WorkflowUnavailable:
        raise _unavailable() from None
    return Handled(outcome=receipt.status)


@router.post(
    "/received-text",
    dependencies=[FromNotify],
    response_model=Handled,
    summary="Notify's callback for a text received: a reply may acknowledge",
)
async def received_text(request: Request, session: SessionDep, temporal: TemporalDep) -> Handled:
    text = await _body(request, ReceivedTextCallback)
    received = TextReceived(
        notify_id=text.id,
        source_number=text.source_number,
        content=text.message,
        received_at=text.date_received,
    )
    try:
        outcome = await handle_reply(received, session=session, temporal=temporal)
    except WorkflowUnavailable:
        raise _unavailable() from None
    return Handled(outcome=outcome.value)


def _unavailable() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "The workflow service is unavailable; Notify will try again. / "
        "Nid yw'r gwasanaeth llif gwaith ar gael; bydd Notify yn ceisio eto.",
        headers={"Retry-After": "30"},
    )
