"""Rate limits on sign-in, token use and incident creation (the `limits` library).

Kept in memory by default, per process; with several web processes, point
`CONCORDAT_RATE_LIMIT_STORAGE` at a shared store (`async+redis://host:6379`) so they count
together.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from runtime.settings import Settings


@dataclass(frozen=True)
class RateLimits:
    limiter: MovingWindowRateLimiter
    sign_in: RateLimitItem
    api: RateLimitItem
    incidents: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        storage = storage_from_string(settings.rate_limit_storage)
        assert isinstance(storage, Storage), "rate-limit storage must be async (async+...://)"
        return cls(
            limiter=MovingWindowRateLimiter(storage),
            sign_in=parse(settings.rate_limit_sign_in),
            api=parse(settings.rate_limit_api),
            incidents=parse(settings.rate_limit_incidents),
        )

    async def allow(self, item: RateLimitItem, *keys: str) -> bool:
        return await self.limiter.hit(item, *keys)

    async def enforce(self, item: RateLimitItem, what: str, *keys: str) -> None:
        """429, with Retry-After, once the limit is used up."""
        if not await self.allow(item, *keys):
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"Too many {what}; wait a minute and try again.",
                headers={"Retry-After": str(item.get_expiry())},
            )


def rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
