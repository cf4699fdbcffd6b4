"""A local GOV.UK Notify, so `make run` and the tests text and email without the internet.

It answers the parts of Notify's v2 API that `notifications_python_client` calls, with Notify's
paths, JSON, status codes and error shapes, and checks each request's token as Notify does: a
transport that works against the catcher works against Notify. Like Notify it posts a delivery
receipt to the service's callback URL once a message has its outcome, and each received text
to the inbound callback URL, with the service's bearer token, retrying as Notify retries.

Tests steer it from Python: what happens to a recipient's messages (`set_outcome`), failures
of Notify itself (`fail_next`), a Notify that took a message but answers late
(`hold_responses`), a member's reply (`reply`). People steer it from the command line
(`concordat sms reply`) through `/catcher/`, which is not Notify's and answers loopback only.

As the mail catcher does for mail, every text and Notify email accepted is printed as one
line and kept as a JSON file readable by its owner alone: they hold live acknowledge codes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import phonenumbers
import uvicorn
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import (
    TokenAlgorithmError,
    TokenDecodeError,
    TokenError,
    TokenExpiredError,
    TokenIssuerError,
)
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from notifications.sms_length import segments

log = logging.getLogger(__name__)

#: The embedded text message template: its content is `((message))`.
EMBEDDED_SMS_TEMPLATE_ID = "6a1f4b1e-5d2c-4c8e-9f3a-1b2c3d4e5f60"
#: The embedded email template: subject `((subject))`, message `((body))`.
EMBEDDED_EMAIL_TEMPLATE_ID = "8b2e5c2f-6e3d-4d9f-a04b-2c3d4e5f6071"
#: The embedded service's one text message sender: its number takes replies.
EMBEDDED_SMS_SENDER_ID = "9c3f6d30-7f4e-4ea0-b15c-3d4e5f607182"
#: The embedded service's one email reply-to address.
EMBEDDED_EMAIL_REPLY_TO_ID = "ad406e41-8a5f-4fb1-826d-4e5f60718293"
#: The number texts come from and replies go to (Ofcom's drama range: nobody's phone).
EMBEDDED_INBOUND_NUMBER = "07700900000"
EMBEDDED_REPLY_TO_ADDRESS = "concordat@localhost"
#: Notify's sending address for a service whose email sender name is "concordat".
EMBEDDED_FROM_EMAIL = "concordat@notifications.service.gov.uk"

#: Statuses a message can end in; `sent` is a text delivered abroad.
OUTCOMES = frozenset(
    {"delivered", "sent", "permanent-failure", "temporary-failure", "technical-failure"}
)
#: Notify's price of one text message fragment since 1 April 2026, in pounds.
SMS_RATE = 0.024
#: Notify's page size for lists.
PAGE_SIZE = 250
#: Notify refuses a text longer than this (before its fragments are counted).
SMS_CHARACTER_LIMIT = 918
#: Seconds Notify waits for a callback URL to answer.
CALLBACK_TIMEOUT = 5.0
#: One attempt and five retries, as Notify makes.
CALLBACK_ATTEMPTS = 6

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_VAGUE_AUTH_REFUSAL = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
_STATUSES = (
    "cancelled created sending sent delivered pending failed technical-failure "
    "temporary-failure permanent-failure pending-virus-check validation-failed "
    "virus-scan-failed returned-letter accepted received"
).split()
#: What Notify looks for when asked for an older name of some statuses.
_STATUS_SUBSTITUTES = {
    "failed": (
        "technical-failure temporary-failure permanent-failure validation-failed "
        "virus-scan-failed returned-letter"
    ).split(),
    "accepted": ["created", "sending"],
    "received": ["delivered"],
}
_TEMPLATE_TYPES = ("sms", "email", "letter")
_FAILURE_ANSWERS = {
    400: ("BadRequestError", "An error occurred"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
    504: ("EventletTimeout", "Timeout serving request"),
}
_NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)


# --- Templates and the messages they make ---------------------------------------------------


@dataclass(frozen=True)
class NotifyTemplate:
    """A template of the catcher's service, as a Notify service would set it up."""

    type: Literal["sms", "email"]
    body: str
    subject: str | None = None
    version: int = 1
    name: str = "Concordat"


EMBEDDED_TEMPLATES: Mapping[str, NotifyTemplate] = {
    EMBEDDED_SMS_TEMPLATE_ID: NotifyTemplate("sms", "((message))", name="Concordat text"),
    EMBEDDED_EMAIL_TEMPLATE_ID: NotifyTemplate(
        "email", "((body))", subject="((subject))", name="Concordat email"
    ),
}

_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_KEY_TRANSLATION = {ord(character): None for character in " _-"}


def _key(name: str) -> str:
    """Notify matches personalisation to placeholders ignoring case, spaces, `_` and `-`."""
    return name.split("??")[0].translate(_KEY_TRANSLATION).lower()


def _placeholders(texts: list[str]) -> list[str]:
    """The names a template's texts ask for, each once, as Notify lists them."""
    names: list[str] = []
    for text in texts:
        for placeholder in _PLACEHOLDER.findall(text):
            name = placeholder.split("??")[0].strip()
            if name not in names:
                names.append(name)
    return names


def _missing(texts: list[str], personalisation: Mapping[str, Any]) -> list[str]:
    given = {_key(name) for name, value in personalisation.items() if value is not None}
    return [name for name in _placeholders(texts) if _key(name) not in given]


def _filled(text: str, personalisation: Mapping[str, Any]) -> str:
    """The text with its placeholders filled in; `((name??words))` shows the words when
    `name` is given and true, as Notify's optional content does."""
    values = {_key(name): value for name, value in personalisation.items()}

    def fill(match: re.Match[str]) -> str:
        name, optional, words = match.group(1).partition("??")
        value = values.get(_key(name))
        if optional:
            return words if value else ""
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(fill, text)


@dataclass(frozen=True)
class SentMessage:
    """A text or email the catcher accepted, as it stood when `NotifyCatcher.sent` was asked.
    `recipient` is E.164 for a phone, as the sender wrote it for an email."""

    id: str
    type: str
    recipient: str
    body: str
    subject: str | None
    reference: str | None
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ReceivedText:
    """A text sent to the service's number; `user_number` as Notify writes it (447700900123)."""

    id: str
    user_number: str
    notify_number: str
    content: str
    created_at: datetime


@dataclass
class _Notification:
    id: str
    sequence: int
    type: str
    to: str
    recipient: str
    template_id: str
    template: NotifyTemplate
    body: str
    subject: str | None
    reference: str | None
    sender: str
    created_at: datetime
    outcome: str | None
    status: str = "sending"
    completed_at: datetime | None = None

    def snapshot(self) -> SentMessage:
        return SentMessage(
            id=self.id,
            type=self.type,
            recipient=self.recipient,
            body=self.body,
            subject=self.subject,
            reference=self.reference,
            status=self.status,
            created_at=self.created_at,
        )


# --- Notify's ways of refusing ----------------------------------------------------------------


class _Refusal(Exception):
    """An answer in the shape of Notify's v2 errors."""

    def __init__(self, status: int, error: str, *messages: str) -> None:
        super().__init__(*messages)
        self.status = status
        self.error = error
        self.messages = messages

    def response(self) -> JSONResponse:
        errors = [{"error": self.error, "message": message} for message in self.messages]
        return JSONResponse({"status_code": self.status, "errors": errors}, self.status)


def _auth_error(message: str, status: int = 403) -> _Refusal:
    return _Refusal(status, "AuthError", message)


def _bad_request(message: str) -> _Refusal:
    return _Refusal(400, "BadRequestError", message)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime(_DATETIME_FORMAT)


def _now() -> datetime:
    return datetime.now(UTC)


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- Recipients, checked as Notify checks them -----------------------------------------------


class _InvalidPhone(ValueError):
    pass


_INVALID_NUMBER = "Number is not valid \u2013 double check the phone number you entered"
_NOT_A_UK_MOBILE = "Not a UK mobile number"
_PHONE_CHARACTERS = frozenset("0123456789()-+ \t\n\r\u00a0")
_DRAMA_RANGE = re.compile(r"^7700900\d{3}$")
_ALLOWED_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    }
)
_LANDLINE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.UAN,
    }
)
_IMPOSSIBLE = {
    phonenumbers.ValidationResult.TOO_LONG: "Too many digits",
    phonenumbers.ValidationResult.TOO_SHORT: "Not enough digits",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "Not enough digits",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "Not a valid country prefix",
}


def _is_drama(number: phonenumbers.PhoneNumber) -> bool:
    """Ofcom's numbers for drama, which libphonenumber calls invalid and Notify accepts."""
    return number.country_code == 44 and bool(_DRAMA_RANGE.match(str(number.national_number)))


def _parsed(raw: str) -> phonenumbers.PhoneNumber:
    if set(raw) - _PHONE_CHARACTERS:
        raise _InvalidPhone("Must not contain letters or symbols")
    if not raw.strip():
        raise _InvalidPhone("Not enough digits")
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException as unparsable:
        raise _InvalidPhone(_INVALID_NUMBER) from unparsable
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        # A spreadsheet may have dropped the "+" of an international number.
        try:
            forced = phonenumbers.parse(f"+{raw.strip()}")
        except phonenumbers.NumberParseException:
            forced = None
        if forced is None or not phonenumbers.is_possible_number(forced):
            raise _InvalidPhone(_IMPOSSIBLE.get(reason, _INVALID_NUMBER))
        number = forced
    allowed = phonenumbers.number_type(number) in _ALLOWED_TYPES
    if not (phonenumbers.is_valid_number(number) and allowed) and not _is_drama(number):
        raise _InvalidPhone(_INVALID_NUMBER)
    return number


def _uk_mobile(raw: str) -> str:
    """A number Notify would text for a service that texts UK mobiles only, in E.164;
    `ValueError` with Notify's message otherwise. Like Notify, a number with a stray leading
    zero or plus is given the benefit of the doubt."""
    try:
        number = _parsed(raw)
    except _InvalidPhone:
        number = _parsed(raw.replace("+", "").lstrip("0"))
    if number.country_code != 44:
        raise _InvalidPhone(_NOT_A_UK_MOBILE)
    if not _is_drama(number) and phonenumbers.number_type(number) in _LANDLINE_TYPES:
        raise _InvalidPhone(_NOT_A_UK_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _international(raw: str) -> str:
    """A sender's number as Notify keeps it: E.164 without the plus (447700900123)."""
    try:
        number = phonenumbers.parse(raw.strip(), "GB")
    except phonenumbers.NumberParseException as unparsable:
        raise ValueError(f"{raw!r} is not a phone number") from unparsable
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{raw!r} is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TOP_LEVEL = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)


def _is_email_address(address: str) -> bool:
    """Notify's test of an email address (stricter than the RFC, as its mail provider is)."""
    match = _EMAIL.match(address.strip())
    if not match or len(address) > 320 or ".." in address:
        return False
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return False
    parts = hostname.split(".")
    return (
        len(hostname) <= 253
        and len(parts) >= 2
        and all(part and len(part) <= 63 and _HOSTNAME_PART.match(part) for part in parts)
        and bool(_TOP_LEVEL.match(parts[-1]))
    )


def _recipient_key(recipient: str) -> str:
    return recipient.strip().lower() if "@" in recipient else f"+{_international(recipient)}"


# --- The request bodies Notify's schemas allow ------------------------------------------------

_UUID_FIELDS = frozenset({"template_id", "sms_sender_id", "email_reply_to_id"})
_FIELDS = {
    "sms": (
        ("phone_number", "template_id"),
        frozenset(
            {"reference", "phone_number", "template_id", "personalisation", "scheduled_for"}
            | {"sms_sender_id"}
        ),
    ),
    "email": (
        ("email_address", "template_id"),
        frozenset(
            {"reference", "email_address", "template_id", "personalisation", "scheduled_for"}
            | {"email_reply_to_id", "one_click_unsubscribe_url", "sanitise_content_for"}
        ),
    ),
}


def _schema_errors(kind: str, form: dict[str, Any]) -> list[str]:
    """What Notify's JSON schema for a new text or email says about the form, in its words."""
    required, allowed = _FIELDS[kind]
    errors: list[str] = []
    unexpected = [name for name in form if name not in allowed]
    if unexpected:
        verb = "was" if len(unexpected) == 1 else "were"
        errors.append(
            f"Additional properties are not allowed ({', '.join(unexpected)} {verb} unexpected)"
        )
    errors += [f"{name} is a required property" for name in required if name not in form]
    for name, value in form.items():
        if name in _UUID_FIELDS and not _is_uuid(value):
            errors.append(f"{name} is not a valid UUID")
        elif name in ("reference", "phone_number", "email_address") and not isinstance(value, str):
            errors.append(f"{name} {json.dumps(value)} is not of type string")
        elif name == "reference" and len(value) > 1000:
            errors.append(f"reference {value} is too long")
        elif name == "personalisation" and not isinstance(value, dict):
            errors.append(f"personalisation {json.dumps(value)} is not of type object")
        elif name == "one_click_unsubscribe_url" and not (
            isinstance(value, str) and value.startswith("https")
        ):
            errors.append("one_click_unsubscribe_url is not a valid https url")
        elif name == "phone_number":
            try:
                _uk_mobile(value)
            except ValueError as invalid:
                errors.append(f"phone_number {invalid}")
        elif name == "email_address" and not _is_email_address(value):
            errors.append("email_address Not a valid email address")
    return errors


def _query_errors(params: dict[str, list[str]], allowed: dict[str, list[str] | None]) -> list[str]:
    """Notify's schema for a list's query: known names, known values, UUIDs."""
    errors: list[str] = []
    unexpected = [name for name in params if name not in allowed]
    if unexpected:
        verb = "was" if len(unexpected) == 1 else "were"
        errors.append(
            f"Additional properties are not allowed ({', '.join(unexpected)} {verb} unexpected)"
        )
    for name, values in params.items():
        choices = allowed.get(name)
        if name == "older_than" and not _is_uuid(values[0]):
            errors.append("older_than is not a valid UUID")
        elif choices is not None:
            checked = values[:1] if name == "include_jobs" else values
            errors += [
                f"{name} {value} is not one of [{', '.join(choices)}]"
                for value in checked
                if value not in choices
            ]
    return errors


# --- The catcher ------------------------------------------------------------------------------


def development_api_key() -> str:
    """A fresh key in Notify's form, `{key name}-{service id}-{secret}`, for the catcher and
    the product to share in development."""
    return f"concordat-embedded-{uuid.uuid4()}-{uuid.uuid4()}"


def _split_key(api_key: str) -> tuple[str, str]:
    """The service id and secret of a key, found where Notify's client finds them."""
    service_id, secret = api_key[-73:-37], api_key[-36:]
    if len(api_key) < 74 or api_key[-37] != "-" or not (_is_uuid(service_id) and _is_uuid(secret)):
        raise ValueError("not a GOV.UK Notify API key: {name}-{service id}-{secret}")
    return service_id, secret


class _Dispatcher:
    """Receipts and callbacks wait on an event loop of their own, in a daemon thread, so they
    keep their timing whichever thread sent the message or the reply. It starts on first use
    and again after `close`.

    Closing cancels the jobs (a receipt not yet due, a callback waiting to be retried) but
    lets a post under way finish, bounded by its timeout: cancelled half-way through
    connecting, httpx leaves coroutines that are never awaited.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Touched only from the loop's own thread.
        self._jobs: set[asyncio.Task[None]] = set()
        self._posts: set[asyncio.Task[int | str]] = set()

    def submit(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work()` on the loop; made there, it is never left unawaited by a close."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._loop,),
                    name="notify-catcher-callbacks",
                    daemon=True,
                )
                self._thread.start()
            job = asyncio.run_coroutine_threadsafe(self._job(work), self._loop)
        job.add_done_callback(_report)

    async def _job(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._jobs.add(task)
        try:
            await work()
        finally:
            self._jobs.discard(task)

    async def post(self, url: str, content: str, headers: dict[str, str]) -> int | str:
        """One post, carried to its end even if the job awaiting it is cancelled: the status
        it was answered with, or the name of the error that stopped it."""
        task = asyncio.ensure_future(_post_once(url, content, headers))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)
        return await asyncio.shield(task)

    async def _wind_down(self) -> None:
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        if self._posts:
            await asyncio.wait(list(self._posts), timeout=CALLBACK_TIMEOUT)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # Jobs submitted as the loop was stopping, which never began.
            unstarted = asyncio.all_tasks(loop)
            for task in unstarted:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*unstarted, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def close(self) -> None:
        """Drop whatever is still waiting: receipts not yet due, callbacks being retried."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            wind_down = asyncio.run_coroutine_threadsafe(self._wind_down(), loop)
            wind_down.result(timeout=CALLBACK_TIMEOUT + 1)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=CALLBACK_TIMEOUT)


async def _post_once(url: str, content: str, headers: dict[str, str]) -> int | str:
    try:
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as client:
            answer = await client.post(url, content=content, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return type(error).__name__
    return answer.status_code


def _report(done: concurrent.futures.Future[None]) -> None:
    """A receipt or callback that failed other than by the network is a fault of the catcher's
    own: said, not swallowed."""
    if not done.cancelled() and done.exception() is not None:
        log.error("Notify catcher: callback failed", exc_info=done.exception())


class NotifyCatcher:
    """One Notify service: its key, templates and callbacks, what it accepted and received.

    Every method may be called from any thread.
    """

    def __init__(
        self,
        api_key: str,
        *,
        templates: Mapping[str, NotifyTemplate] = EMBEDDED_TEMPLATES,
        receipt_delay: float = 0.2,
        sms_dir: Path | None = None,
        notify_dir: Path | None = None,
        echo: bool = True,
        delivery_callback_url: str | None = None,
        inbound_callback_url: str | None = None,
        callback_token: str | None = None,
        callback_retry_delay: float = 0.5,
        inbound_number: str = EMBEDDED_INBOUND_NUMBER,
    ) -> None:
        self.api_key = api_key
        self.service_id, self._secret = _split_key(api_key)
        self.inbound_number = inbound_number
        self._templates = {str(uuid.UUID(id_)): template for id_, template in templates.items()}
        self._receipt_delay = receipt_delay
        self._retry_delay = callback_retry_delay
        self._echo = echo
        self._sms_dir = self._private(sms_dir)
        self._notify_dir = self._private(notify_dir)
        self._sms_senders = {EMBEDDED_SMS_SENDER_ID: inbound_number}
        self._reply_to = {EMBEDDED_EMAIL_REPLY_TO_ID: EMBEDDED_REPLY_TO_ADDRESS}
        self._lock = threading.Lock()
        self._notifications: dict[str, _Notification] = {}
        """Every message accepted, by id, oldest first (a dict keeps the order of insertion)."""
        self._by_reference: dict[str, list[_Notification]] = {}
        """The same messages by their `reference`, as Notify's own lookup by reference is
        indexed: a busy service is asked for one message among thousands each time a send is
        checked."""
        self._received: list[ReceivedText] = []
        self._outcomes: dict[str, str | None] = {}
        self._failures: list[tuple[int, frozenset[str]]] = []
        self._hold = 0.0
        self._delivery_url = delivery_callback_url
        self._inbound_url = inbound_callback_url
        self._token = callback_token
        self._dispatcher = _Dispatcher()
        self._templates_made_at = _now()

    @staticmethod
    def _private(directory: Path | None) -> Path | None:
        # The messages hold live acknowledge codes and links: for the owner's eyes only.
        if directory is not None:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.chmod(0o700)
        return directory

    # Controls -----------------------------------------------------------------------------

    def set_outcome(self, recipient: str, outcome: str | None) -> None:
        """What becomes of messages to the recipient (a phone number in any form, or an email
        address) sent from now on: a status from `OUTCOMES`, or None for no receipt ever."""
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)} or None")
        with self._lock:
            self._outcomes[_recipient_key(recipient)] = outcome

    def fail_next(self, count: int, status: int = 500, *, to: Collection[str] = ()) -> None:
        """The next `count` sends (authorised POSTs to /v2/notifications/...) are answered with
        `status` in Notify's error shape, and nothing is kept; with `to`, only sends to those
        numbers or addresses (so other senders on the same catcher do not use them up)."""
        with self._lock:
            self._failures += [(status, frozenset(to))] * count

    def hold_responses(self, seconds: float) -> None:
        """Keep each message accepted from now on, then wait this long before answering: the
        sender may be gone by then, as after a crash once Notify had taken a message."""
        with self._lock:
            self._hold = max(seconds, 0.0)

    def set_callbacks(self, delivery: str | None, inbound: str | None, token: str | None) -> None:
        """The service's callback URLs and their bearer token, as on Notify's API page; a
        receipt or text goes where they point when it is posted."""
        with self._lock:
            self._delivery_url, self._inbound_url, self._token = delivery, inbound, token

    def sent(self, kind: str | None = None) -> list[SentMessage]:
        """What was accepted, oldest first; `kind` "sms" or "email" for one kind only."""
        with self._lock:
            return [
                notification.snapshot()
                for notification in self._notifications.values()
                if kind is None or notification.type == kind
            ]

    def sent_since(self, position: int) -> tuple[list[SentMessage], int]:
        """What was accepted after the first `position` messages, oldest first, and how many
        there are now: for a reader that looks often, without copying every message each time."""
        with self._lock:
            newer = [n.snapshot() for n in islice(self._notifications.values(), position, None)]
            return newer, len(self._notifications)

    def received(self) -> list[ReceivedText]:
        """Texts sent to the service's number, oldest first."""
        with self._lock:
            return list(self._received)

    def reply(self, from_number: str, message: str, *, post_callback: bool = True) -> ReceivedText:
        """A text from `from_number` to the service's number, kept as Notify keeps it and, if
        the service has an inbound callback, posted to it as Notify posts it."""
        if not message:
            raise ValueError("the message is empty")
        text = ReceivedText(
            id=str(uuid.uuid4()),
            user_number=_international(from_number),
            notify_number=self.inbound_number,
            content=message,
            created_at=_now(),
        )
        with self._lock:
            self._received.append(text)
            url, token = self._inbound_url, self._token
        self._say(f"reply +{text.user_number}  {_one_line(message)}")
        if post_callback and url:
            callback = {
                "id": text.id,
                "source_number": text.user_number,
                "destination_number": text.notify_number,
                "message": text.content,
                "date_received": _when(text.created_at),
            }
            what = f"received text {text.id}"
            self._dispatcher.submit(partial(self._post, url, token, callback, what))
        return text

    def reset(self) -> None:
        """Forget every message and text, outcome, failure and hold, and drop the receipts and
        callbacks still waiting, keeping the key, templates and callback URLs: one catcher can
        serve many tests."""
        self._dispatcher.close()
        with self._lock:
            self._notifications.clear()
            self._by_reference.clear()
            self._received.clear()
            self._outcomes.clear()
            self._failures.clear()
            self._hold = 0.0

    def close(self) -> None:
        """Drop the receipts and callbacks still waiting."""
        self._dispatcher.close()

    # The service behind the API -----------------------------------------------------------

    def _authorise(self, header: str | None) -> None:
        """Check a request's `Authorization` header as Notify does, refusing in its words."""
        if not header:
            raise _auth_error("Unauthorized: authentication token must be provided", 401)
        if header[:7].title() != "Bearer ":
            raise _auth_error("Unauthorized: authentication bearer scheme must be used", 401)
        token = header[7:]
        try:
            issuer = get_token_issuer(token)
        except TokenIssuerError as missing:
            raise _auth_error("Invalid token: iss field not provided") from missing
        except TokenDecodeError as undecodable:
            raise _auth_error(_VAGUE_AUTH_REFUSAL) from undecodable
        try:
            service = uuid.UUID(issuer)
        except (TypeError, ValueError, AttributeError) as malformed:
            raise _auth_error("Invalid token: service id is not the right data type") from malformed
        if service != uuid.UUID(self.service_id):
            raise _auth_error("Invalid token: service not found")
        try:
            decode_jwt_token(token, self._secret)
        except TokenExpiredError as expired:
            message = "Error: Your system clock must be accurate to within 30 seconds"
            raise _auth_error(message) from expired
        except TokenAlgorithmError as algorithm:
            raise _auth_error("Invalid token: algorithm used is not HS256") from algorithm
        except TokenDecodeError as unsigned:
            raise _auth_error("Invalid token: API key not found") from unsigned
        except TokenError as invalid:
            raise _auth_error(_VAGUE_AUTH_REFUSAL) from invalid

    def _take_failure(self, recipient: str) -> _Refusal | None:
        """The failure the next send is to meet, if `fail_next` asked for one."""
        with self._lock:
            index = next(
                (i for i, (_, to) in enumerate(self._failures) if not to or recipient in to), None
            )
            if index is None:
                return None
            status, _ = self._failures.pop(index)
        error, message = _FAILURE_ANSWERS.get(status, ("Exception", HTTPStatus(status).phrase))
        return _Refusal(status, error, message)

    def _accept(self, kind: str, form: dict[str, Any], root: str) -> tuple[dict[str, Any], float]:
        """Validate a new text or email as Notify does and keep it: Notify's answer, and how
        long to hold it back."""
        errors = _schema_errors(kind, form)
        if errors:
            raise _Refusal(400, "ValidationError", *errors)
        template_id = str(uuid.UUID(form["template_id"]))
        template = self._templates.get(template_id)
        if template is None:
            raise _bad_request("Template not found")
        if template.type != kind:
            raise _bad_request(f"{template.type} template is not suitable for {kind} notification")
        personalisation = form.get("personalisation") or {}
        texts = [template.body] + ([template.subject] if template.subject else [])
        missing = _missing(texts, personalisation)
        if missing:
            raise _bad_request(f"Missing personalisation: {', '.join(missing)}")
        body = _filled(template.body, personalisation)
        subject = _filled(template.subject, personalisation) if template.subject else None
        if not body.strip():
            raise _bad_request("Your message is empty.")
        if kind == "sms":
            sender = self._sender(form, "sms_sender_id", self._sms_senders)
            recipient = _uk_mobile(form["phone_number"])
            length = len(body.strip().encode("utf-16-le")) // 2
            if length > SMS_CHARACTER_LIMIT:
                raise _bad_request(
                    f"Your message is too long. Text messages cannot be longer than "
                    f"{SMS_CHARACTER_LIMIT} characters. Your message is {length} characters long."
                )
            to = form["phone_number"]
        else:
            sender = self._sender(form, "email_reply_to_id", self._reply_to)
            to = recipient = form["email_address"]
        notification = self._keep(kind, to, recipient, template_id, body, subject, form, sender)
        self._announce(notification)
        self._dispatcher.submit(partial(self._settle, notification.id))
        with self._lock:
            hold = self._hold
        return self._created(notification, root), hold

    def _sender(self, form: dict[str, Any], field: str, known: Mapping[str, str]) -> str:
        chosen = form.get(field)
        if not chosen:
            return next(iter(known.values()))
        if str(uuid.UUID(chosen)) not in known:
            raise _bad_request(
                f"{field} {chosen} does not exist in database for service id {self.service_id}"
            )
        return known[str(uuid.UUID(chosen))]

    def _keep(
        self,
        kind: str,
        to: str,
        recipient: str,
        template_id: str,
        body: str,
        subject: str | None,
        form: dict[str, Any],
        sender: str,
    ) -> _Notification:
        with self._lock:
            notification = _Notification(
                id=str(uuid.uuid4()),
                sequence=len(self._notifications),
                type=kind,
                to=to,
                recipient=recipient,
                template_id=template_id,
                template=self._templates[template_id],
                body=body,
                subject=subject,
                reference=form.get("reference"),
                sender=sender,
                created_at=_now(),
                outcome=self._outcomes.get(_recipient_key(recipient), "delivered"),
            )
            self._notifications[notification.id] = notification
            if notification.reference is not None:
                self._by_reference.setdefault(notification.reference, []).append(notification)
        return notification

    def _created(self, notification: _Notification, root: str) -> dict[str, Any]:
        """Notify's answer to a new message (its template link differs from the one in
        `notification`, as Notify's does)."""
        template_id = notification.template_id
        answer: dict[str, Any] = {
            "id": notification.id,
            "reference": notification.reference,
            "uri": f"{root}v2/notifications/{notification.id}",
            "template": {
                "id": template_id,
                "version": notification.template.version,
                "uri": f"{root}services/{self.service_id}/templates/{template_id}",
            },
            "scheduled_for": None,
        }
        if notification.type == "sms":
            answer["content"] = {"body": notification.body, "from_number": notification.sender}
        else:
            answer["content"] = {
                "body": notification.body,
                "subject": notification.subject,
                "from_email": EMBEDDED_FROM_EMAIL,
                "one_click_unsubscribe_url": None,
            }
        return answer

    def _found(self, notification_id: str, root: str) -> dict[str, Any]:
        if not _is_uuid(notification_id):
            raise _Refusal(400, "ValidationError", "notification_id is not a valid UUID")
        with self._lock:
            found = self._notifications.get(str(uuid.UUID(notification_id)))
            if found is None:
                raise _Refusal(404, "NoResultFound", "No result found")
            return self._serialised(found, root)

    def _template_found(self, template_id: str) -> dict[str, Any]:
        """A template of the service as `GET /v2/template/{id}` shows it."""
        if not _is_uuid(template_id):
            raise _Refusal(400, "ValidationError", "id is not a valid UUID")
        template = self._templates.get(str(uuid.UUID(template_id)))
        if template is None:  # Notify finds only the service's own templates
            raise _Refusal(404, "NoResultFound", "No result found")
        texts = [template.body, *([template.subject] if template.subject else [])]
        return {
            "id": str(uuid.UUID(template_id)),
            "type": template.type,
            "created_at": _when(self._templates_made_at),
            "updated_at": None,
            "created_by": EMBEDDED_REPLY_TO_ADDRESS,
            "version": template.version,
            "body": template.body,
            "subject": template.subject if template.type == "email" else None,
            "name": template.name,
            "personalisation": {name: {"required": True} for name in _placeholders(texts)},
            "postage": None,
            "letter_contact_block": None,
        }

    def _listed(self, params: dict[str, list[str]], root: str) -> dict[str, Any]:
        """A page of `GET /v2/notifications`, newest first, as Notify lists them."""
        allowed: dict[str, list[str] | None] = {
            "reference": None,
            "older_than": None,
            "status": _STATUSES,
            "template_type": list(_TEMPLATE_TYPES),
            "include_jobs": ["true", "True"],
        }
        errors = _query_errors(params, allowed)
        if errors:
            raise _Refusal(400, "ValidationError", *errors)
        query: dict[str, str | list[str]] = {
            name: values[0] if name in ("reference", "older_than", "include_jobs") else values
            for name, values in params.items()
        }
        statuses = {
            substitute
            for status in params.get("status", [])
            for substitute in _STATUS_SUBSTITUTES.get(status, [status])
        }
        kinds = set(params.get("template_type", []))
        reference = query.get("reference")
        with self._lock:
            # Oldest first in both, so newest first reversed; a page is serialised alone.
            candidates = (
                self._by_reference.get(reference, [])
                if isinstance(reference, str)
                else self._notifications.values()
            )
            before: int | None = None
            older_than = query.get("older_than")
            if isinstance(older_than, str):
                boundary = self._notifications.get(str(uuid.UUID(older_than)))
                before = boundary.sequence if boundary else -1
            matching = (
                n
                for n in reversed(candidates)
                if (before is None or n.sequence < before)
                and (not statuses or n.status in statuses)
                and (not kinds or n.type in kinds)
            )
            page = [self._serialised(n, root) for n in islice(matching, PAGE_SIZE)]
        links = {"current": _link(root, "v2/notifications", query)}
        if page:
            links["next"] = _link(root, "v2/notifications", {**query, "older_than": page[-1]["id"]})
        return {"notifications": page, "links": links}

    def _received_page(self, params: dict[str, list[str]], root: str) -> dict[str, Any]:
        """A page of `GET /v2/received-text-messages`, newest first."""
        errors = _query_errors(params, {"older_than": None})
        if errors:
            raise _Refusal(400, "ValidationError", *errors)
        with self._lock:
            newest_first = list(reversed(self._received))
        if "older_than" in params:
            ids = [text.id for text in newest_first]
            older_than = str(uuid.UUID(params["older_than"][0]))
            newest_first = newest_first[ids.index(older_than) + 1 :] if older_than in ids else []
        page = [self._received_json(text) for text in newest_first[:PAGE_SIZE]]
        links = {"current": f"{root}v2/received-text-messages"}
        if page:
            links["next"] = _link(root, "v2/received-text-messages", {"older_than": page[-1]["id"]})
        return {"received_text_messages": page, "links": links}

    def _received_json(self, text: ReceivedText) -> dict[str, Any]:
        return {
            "id": text.id,
            "user_number": text.user_number,
            "notify_number": text.notify_number,
            "created_at": _when(text.created_at),
            "service_id": self.service_id,
            "content": text.content,
        }

    def _serialised(self, notification: _Notification, root: str) -> dict[str, Any]:
        """A message as `GET /v2/notifications/{id}` shows it."""
        is_sms = notification.type == "sms"
        fragments = segments(notification.body) if is_sms else 0
        template_id = notification.template_id
        return {
            "id": notification.id,
            "reference": notification.reference,
            "email_address": None if is_sms else notification.to,
            "phone_number": notification.to if is_sms else None,
            **dict.fromkeys(["line_1", "line_2", "line_3", "line_4", "line_5", "line_6"]),
            "postcode": None,
            "type": notification.type,
            "status": notification.status,
            "template": {
                "version": notification.template.version,
                "id": template_id,
                "uri": f"{root}service/{self.service_id}/template/{template_id}",
            },
            "body": notification.body,
            "subject": notification.subject,
            "created_at": _when(notification.created_at),
            "created_by_name": None,
            "sent_at": _when(notification.created_at),
            "completed_at": _when(notification.completed_at),
            "scheduled_for": None,
            "postage": None,
            "one_click_unsubscribe_url": None,
            "cost_details": {
                "billable_sms_fragments": fragments,
                "international_rate_multiplier": 1.0,
                "sms_rate": SMS_RATE,
            }
            if is_sms
            else {},
            "cost_in_pounds": fragments * SMS_RATE,
            "is_cost_data_ready": True,
        }

    def _sms_listing(self) -> dict[str, Any]:
        """What `/catcher/sms` shows: texts sent and received, newest first."""
        with self._lock:
            texts = [n for n in self._notifications.values() if n.type == "sms"]
            sent = [
                {
                    "id": n.id,
                    "to": n.to,
                    "phone_number": n.recipient,
                    "body": n.body,
                    "segments": segments(n.body),
                    "status": n.status,
                    "reference": n.reference,
                    "created_at": _when(n.created_at),
                }
                for n in reversed(texts)
            ]
            received = list(reversed(self._received))
        return {"sent": sent, "received": [self._received_json(text) for text in received]}

    # What happens after a message is taken ------------------------------------------------

    def _announce(self, notification: _Notification) -> None:
        """One line on standard output and a file, as the mail catcher does for mail."""
        record: dict[str, Any] = {
            "id": notification.id,
            "to": notification.to,
            "reference": notification.reference,
            "template_id": notification.template_id,
            "created_at": _when(notification.created_at),
        }
        if notification.type == "sms":
            fragments = segments(notification.body)
            noun = "segment" if fragments == 1 else "segments"
            self._say(
                f"sms   {notification.recipient}  ({fragments} {noun})  "
                f"{_one_line(notification.body)}"
            )
            record |= {
                "phone_number": notification.recipient,
                "from_number": notification.sender,
                "segments": fragments,
                "body": notification.body,
            }
            directory = self._sms_dir
        else:
            self._say(f"notify-email  {notification.to}  {notification.subject}")
            record |= {
                "email_address": notification.to,
                "from_email": EMBEDDED_FROM_EMAIL,
                "reply_to": notification.sender,
                "subject": notification.subject,
                "body": notification.body,
            }
            directory = self._notify_dir
        if directory is not None:
            stamp = notification.created_at.strftime("%Y%m%dT%H%M%S.%fZ")
            path = directory / f"{stamp}-{notification.id}.json"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False, indent=2)

    def _say(self, line: str) -> None:
        if self._echo:
            print(line, flush=True)

    async def _settle(self, notification_id: str) -> None:
        """The message's outcome, once the receipt delay is over, and its receipt."""
        await asyncio.sleep(self._receipt_delay)
        with self._lock:
            notification = self._notifications.get(notification_id)
            if notification is None or notification.outcome is None:
                return
            notification.status = notification.outcome
            notification.completed_at = _now()
            url, token = self._delivery_url, self._token
            receipt = {
                "id": notification.id,
                "reference": notification.reference,
                "to": notification.to,
                "status": notification.status,
                "created_at": _when(notification.created_at),
                "completed_at": _when(notification.completed_at),
                "sent_at": _when(notification.created_at),
                "notification_type": notification.type,
                "template_id": notification.template_id,
                "template_version": notification.template.version,
            }
        if url:
            await self._post(url, token, receipt, f"delivery receipt {notification_id}")

    async def _post(self, url: str, token: str | None, data: dict[str, Any], what: str) -> None:
        """Post a callback as Notify does: retried after a network failure, a 5xx or a 429,
        with growing waits; any other 4xx is the service's answer and is not retried."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        content = json.dumps(data)
        for attempt in range(CALLBACK_ATTEMPTS):
            if attempt:
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
            answer = await self._dispatcher.post(url, content, headers)
            if isinstance(answer, int) and answer < 400:
                return
            if isinstance(answer, int) and answer < 500 and answer != 429:
                break
        log.warning("Notify catcher: %s not taken by %s (%s)", what, url, answer)


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def _link(root: str, path: str, query: Mapping[str, str | list[str]]) -> str:
    return f"{root}{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")


# --- HTTP -------------------------------------------------------------------------------------


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params


def _root(request: Request) -> str:
    return str(request.base_url)


def _loopback_only(request: Request) -> None:
    if request.client is None or request.client.host not in ("127.0.0.1", "::1"):
        raise HTTPException(403, "The catcher's controls answer loopback only.")


def notify_app(catcher: NotifyCatcher) -> Starlette:
    """The ASGI app: Notify's v2 API for `catcher`, and the catcher's own `/catcher/`."""

    async def post_notification(request: Request) -> Response:
        catcher._authorise(request.headers.get("Authorization"))
        kind = request.path_params["notification_type"]
        if kind not in _TEMPLATE_TYPES:
            raise HTTPException(404, _NOT_FOUND)
        body = await request.body()
        try:
            form: Any = json.loads(body or b"null") or {}
        except ValueError:
            form = None
        recipient = (
            str(form.get("phone_number") or form.get("email_address") or "")
            if isinstance(form, dict)
            else ""
        )
        failure = catcher._take_failure(recipient)
        if failure is not None:
            return failure.response()
        if form is None:
            raise _bad_request("Invalid JSON supplied in POST data")
        if not isinstance(form, dict):
            raise _Refusal(400, "ValidationError", f"{json.dumps(form)} is not of type object")
        if kind == "letter":
            raise _bad_request("Service is not allowed to send letters")
        answer, hold = catcher._accept(kind, form, _root(request))
        if hold:
            await asyncio.sleep(hold)
        return JSONResponse(answer, 201)

    async def get_notification(request: Request) -> Response:
        catcher._authorise(request.headers.get("Authorization"))
        found = catcher._found(request.path_params["notification_id"], _root(request))
        return JSONResponse(found)

    async def get_notifications(request: Request) -> Response:
        catcher._authorise(request.headers.get("Authorization"))
        return JSONResponse(catcher._listed(_params(request), _root(request)))

    async def get_template(request: Request) -> Response:
        catcher._authorise(request.headers.get("Authorization"))
        return JSONResponse(catcher._template_found(request.path_params["template_id"]))

    async def get_received_texts(request: Request) -> Response:
        catcher._authorise(request.headers.get("Authorization"))
        return JSONResponse(catcher._received_page(_params(request), _root(request)))

    async def post_reply(request: Request) -> Response:
        _loopback_only(request)
        # A web page cannot send JSON cross-origin without asking first, and nothing here
        # answers that question: only a local program can make a member "reply".
        if request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "Send JSON (Content-Type: application/json)."}, 415)
        try:
            form = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "The body is not JSON."}, 400)
        fields = ("from_number", "message")
        if not isinstance(form, dict) or not all(isinstance(form.get(f), str) for f in fields):
            return JSONResponse({"error": "Give from_number and message, as strings."}, 400)
        try:
            text = catcher.reply(form["from_number"], form["message"])
        except ValueError as refused:
            return JSONResponse({"error": str(refused)}, 400)
        return JSONResponse(catcher._received_json(text), 201)

    async def list_sms(request: Request) -> Response:
        _loopback_only(request)
        return JSONResponse(catcher._sms_listing())

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, _Refusal)
        return error.response()

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        message = _NOT_FOUND if error.status_code == 404 else error.detail
        if error.status_code == 405:
            message = "The method is not allowed for the requested URL."
        body = {"result": "error", "message": message}
        return JSONResponse(body, error.status_code, headers=error.headers)

    return Starlette(
        routes=[
            Route("/v2/notifications", get_notifications, methods=["GET"]),
            Route("/v2/notifications/{notification_type}", post_notification, methods=["POST"]),
            Route("/v2/notifications/{notification_id}", get_notification, methods=["GET"]),
            Route("/v2/template/{template_id}", get_template, methods=["GET"]),
            Route("/v2/received-text-messages", get_received_texts, methods=["GET"]),
            Route("/catcher/replies", post_reply, methods=["POST"]),
            Route("/catcher/sms", list_sms, methods=["GET"]),
        ],
        exception_handlers={_Refusal: refused, HTTPException: http_error},
    )


class _QuietThread(logging.Filter):
    """uvicorn's start and stop lines from the catcher's thread would bury the lines about
    texts; its warnings and errors still go through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.threadName != _SERVING_THREAD


_SERVING_THREAD = "notify-catcher"
_QUIET = _QuietThread()


class NotifyCatcherServer:
    """A catcher served on loopback by uvicorn in a thread of its own."""

    def __init__(
        self,
        catcher: NotifyCatcher,
        server: uvicorn.Server,
        thread: threading.Thread,
        listener: socket.socket,
    ) -> None:
        self.catcher = catcher
        self.port: int = listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = server
        self._thread = thread
        self._listener = listener

    def stop(self) -> None:
        """Stop serving, and drop the receipts and callbacks still waiting."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._listener.close()
        self.catcher.close()

    def __enter__(self) -> NotifyCatcherServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_notify_catcher(
    catcher: NotifyCatcher | None = None, *, port: int = 0, timeout: float = 10.0
) -> NotifyCatcherServer:
    """Serve `catcher` (by default one with a fresh development key) on 127.0.0.1:`port`, 0
    for any free port; returns once it answers."""
    catcher = catcher or NotifyCatcher(development_api_key())
    # With the protocol named, asyncio turns Nagle's algorithm off for each connection, as it
    # does for sockets it makes; without, every answer on a kept-alive connection waits 40 ms.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError:
        listener.close()
        raise
    bound = listener.getsockname()[1]
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if _QUIET not in uvicorn_errors.filters:
        uvicorn_errors.addFilter(_QUIET)
    config = uvicorn.Config(
        notify_app(catcher),
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name=_SERVING_THREAD, daemon=True
    )
    thread.start()
    for _ in _until(timeout):
        if server.started:
            return NotifyCatcherServer(catcher, server, thread, listener)
        if not thread.is_alive():
            break
    server.should_exit = True
    listener.close()
    raise RuntimeError(f"the Notify catcher did not start on 127.0.0.1:{bound}")


def _until(timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        yield
        time.sleep(0.01)
