"""Rate limits, delays after wrong passwords, and who the client is (the `limits` library).

What is counted, and against what:
- API requests, per person (all their tokens together; a system's token on its own);
- password tries (sign-in and the tokens page) and wrong API tokens, per client address;
- notes, and other changes, per incident: each action in `web.commands` says which;
- incidents opened, per authority;
- wrong passwords, per account and address and per account: progressive delays
  (`SignInDelays`), instead of locking an account that anyone could lock.

Kept in memory by default, per process; with several web processes, point
`CONCORDAT_RATE_LIMIT_STORAGE` at a shared store (`async+redis://host:6379`) so they count
together.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from runtime.settings import Settings


def too_fast(english: str, welsh: str, seconds: int) -> str:
    """A refusal for going too fast, in English and Welsh, saying how long to wait."""
    plural = "" if seconds == 1 else "s"
    return (
        f"{english}; wait {seconds} second{plural} and try again. / "
        f"{welsh}; arhoswch {seconds} eiliad a rhowch gynnig arall arni."
    )


class TooFast(Exception):
    """Refused for going too fast: the seconds to wait, and a sentence for people."""

    def __init__(self, seconds: int, message: str) -> None:
        super().__init__(message)
        self.seconds, self.message = seconds, message

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.seconds)}


class PerIncident(StrEnum):
    """The counts an incident's actions are held to (`web.commands.Action.per_incident`)."""

    NOTES = "notes"
    CHANGES = "changes"


_PER_INCIDENT_WORDS = {
    PerIncident.NOTES: (
        "Too many notes have been added to this incident in the last minute",
        "Ychwanegwyd gormod o nodiadau at y digwyddiad hwn yn y funud ddiwethaf",
    ),
    PerIncident.CHANGES: (
        "Too many changes have been made to this incident in the last minute",
        "Gwnaed gormod o newidiadau i'r digwyddiad hwn yn y funud ddiwethaf",
    ),
}


@dataclass(frozen=True)
class PasswordTurn:
    """Leave to check one password for an account from one address."""

    account: str
    """A digest of the address typed: storage never holds email addresses."""
    address: str
    wait_if_wrong: int
    """Seconds the address waits before its next try if this password is wrong."""


class SignInDelays:
    """Progressive delays after wrong passwords, per account and address (the pattern OWASP
    recommends), so that guessing stays slow while nobody can lock a person out.

    An address with no wrong password for the account in the last hour never waits: the real
    person, from where they usually work, gets in whatever is tried against their account from
    elsewhere. After its n-th wrong password, an address waits `delays[n-1]` seconds (the last
    for every later one) before its next try. Once the account has collected more than
    `account_alarm` wrong passwords from every address together, each further wrong one makes
    its address wait the longest delay, which slows guessing spread over many addresses.

    One try at a time per account and address: a try takes the address's turn before the
    password is checked, so parallel guesses wait like sequential ones. An unknown address
    is counted like a real one, so the answers reveal no accounts.
    """

    MEMORY_SECONDS = 3600
    """Wrong passwords are forgotten an hour after the first of them."""
    CHECKING_SECONDS = 10
    """How long a turn is held while its password is checked (given back when it is done)."""

    def __init__(self, storage: Storage, delays: Sequence[int], account_alarm: int) -> None:
        self.storage, self.delays, self.account_alarm = storage, tuple(delays), account_alarm

    @staticmethod
    def _keys(turn: PasswordTurn) -> tuple[str, str, str]:
        base = f"sign-in/{turn.account}"
        return f"{base}/turn/{turn.address}", f"{base}/wrong/{turn.address}", f"{base}/wrong"

    @staticmethod
    def _wait_key(turn: PasswordTurn) -> str:
        """Held for the wait after a wrong password, from the moment it was refused."""
        return f"sign-in/{turn.account}/wait/{turn.address}"

    def _wait_after(self, wrong_here: int, wrong_everywhere: int) -> int:
        """The wait after the address's `wrong_here`-th wrong password for the account, the
        account's `wrong_everywhere`-th."""
        if not self.delays:
            return 0
        if wrong_everywhere > self.account_alarm:
            return self.delays[-1]
        return self.delays[min(wrong_here, len(self.delays)) - 1]

    async def take_turn(self, account: str, address: str) -> PasswordTurn | int:
        """The turn to check a password for `account` from `address`, or the seconds to wait."""
        digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
        turn = PasswordTurn(digest, address, 0)
        turn_key, wrong_here_key, wrong_key = self._keys(turn)
        wait_key = self._wait_key(turn)
        if await self.storage.get(wait_key) > 0:
            return await self._remaining(wait_key)
        if await self.storage.get(turn_key) > 0:
            return await self._remaining(turn_key)
        wait_if_wrong = self._wait_after(
            await self.storage.get(wrong_here_key) + 1, await self.storage.get(wrong_key) + 1
        )
        # Taken atomically: of parallel tries, only the first gets the turn.
        if await self.storage.incr(turn_key, self.CHECKING_SECONDS) > 1:
            return await self._remaining(turn_key)
        return PasswordTurn(digest, address, wait_if_wrong)

    async def settle(self, turn: PasswordTurn, *, right: bool) -> None:
        """Record the outcome of the try: a wrong password keeps the address waiting."""
        turn_key, wrong_here_key, wrong_key = self._keys(turn)
        if right:
            await self.storage.clear(wrong_here_key)
            await self.storage.clear(turn_key)
            return
        await self.storage.incr(wrong_here_key, self.MEMORY_SECONDS)
        await self.storage.incr(wrong_key, self.MEMORY_SECONDS)
        if turn.wait_if_wrong:
            # The wait runs from the refusal, as the person reads it (a slow password check
            # must not use it up), and is in place before the turn is given back.
            await self.storage.incr(self._wait_key(turn), turn.wait_if_wrong)
        await self.storage.clear(turn_key)

    async def _remaining(self, key: str) -> int:
        return max(1, math.ceil(await self.storage.get_expiry(key) - time.time()))


@dataclass(frozen=True)
class RateLimits:
    limiter: MovingWindowRateLimiter
    sign_in: RateLimitItem
    api: RateLimitItem
    incidents: RateLimitItem
    per_incident: Mapping[PerIncident, RateLimitItem]
    sign_in_delays: SignInDelays

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        storage = storage_from_string(settings.rate_limit_storage)
        assert isinstance(storage, Storage), "rate-limit storage must be async (async+...://)"
        return cls(
            limiter=MovingWindowRateLimiter(storage),
            sign_in=parse(settings.rate_limit_sign_in),
            api=parse(settings.rate_limit_api),
            incidents=parse(settings.rate_limit_incidents),
            per_incident={
                PerIncident.NOTES: parse(settings.rate_limit_notes),
                PerIncident.CHANGES: parse(settings.rate_limit_incident_changes),
            },
            sign_in_delays=SignInDelays(
                storage, settings.sign_in_delays, settings.sign_in_account_alarm
            ),
        )

    async def wait_for(self, item: RateLimitItem, *keys: str) -> int:
        """Count one more; 0 while within the limit, else the seconds until the next is allowed
        (the refused one is not counted)."""
        if await self.limiter.hit(item, *keys):
            return 0
        stats = await self.limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def check(self, item: RateLimitItem, english: str, welsh: str, *keys: str) -> None:
        """Raise `TooFast` once the limit is used up."""
        seconds = await self.wait_for(item, *keys)
        if seconds:
            raise TooFast(seconds, too_fast(english, welsh, seconds))

    async def enforce(self, item: RateLimitItem, english: str, welsh: str, *keys: str) -> None:
        """429, with Retry-After, once the limit is used up."""
        try:
            await self.check(item, english, welsh, *keys)
        except TooFast as refused:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS, refused.message, headers=refused.headers
            ) from None

    async def check_incident(self, limit: PerIncident, incident_id: str) -> None:
        """Raise `TooFast` once the incident has had its share of this kind of request."""
        english, welsh = _PER_INCIDENT_WORDS[limit]
        await self.check(self.per_incident[limit], english, welsh, "incident", limit, incident_id)


def rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


async def password_turn(request: Request, account: str) -> PasswordTurn:
    """The turn to check a password for `account` from this client, for signing in and for
    the tokens page alike: the address's rate limit, then the account's delays. Raises
    `TooFast`; give the outcome to `settle_password`."""
    limits = rate_limits(request)
    address = client_address(request)
    await limits.check(
        limits.sign_in,
        "Too many password tries from here",
        "Gormod o ymdrechion cyfrinair o'r fan hon",
        "password-from",
        address,
    )
    turn = await limits.sign_in_delays.take_turn(account, address)
    if isinstance(turn, int):
        raise TooFast(
            turn,
            too_fast(
                "Too many wrong passwords for this account from here",
                "Gormod o gyfrineiriau anghywir ar gyfer y cyfrif hwn o'r fan hon",
                turn,
            ),
        )
    return turn


async def settle_password(request: Request, turn: PasswordTurn, *, right: bool) -> None:
    await rate_limits(request).sign_in_delays.settle(turn, right=right)


Network = IPv4Network | IPv6Network


def address_of(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy. Then it is the
    last address in X-Forwarded-For that is not a trusted proxy's: each trusted proxy appends
    the address it saw, while anything further left may have been written by the client."""

    def is_trusted(text: str) -> bool:
        try:
            address = ip_address(text)
        except ValueError:
            return False
        return any(address in network for network in trusted)

    if peer is None:
        return "unknown"
    if not is_trusted(peer):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            address = str(ip_address(hop))
        except ValueError:
            return peer  # unreadable from a proxy we trust: count it as the proxy's own
        if not is_trusted(address):
            return address
    return str(ip_address(hops[0])) if hops else peer


def client_address(request: Request) -> str:
    """Who is asking, as far as the configured proxies (`CONCORDAT_TRUSTED_PROXIES`) say."""
    app = request.scope.get("app")  # absent only outside the application (no proxies known)
    trusted: list[Network] = app.state.settings.trusted_proxies if app is not None else []
    return address_of(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        trusted,
    )
