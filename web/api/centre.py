"""/api/national/centre-recipients: who at the central team is told of serious incidents, for
which categories and on which channels. The central team keeps the list; auditors granted
every authority read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, EmailStr, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from domain.centre import DEFAULT_CATEGORIES, DEFAULT_CHANNELS
from domain.channels import Channel
from domain.vocabulary import Language
from models import CentreRecipient
from services import centre
from web.api.responses import COMMON
from web.deps import ManagesNational, ReadsNational, SessionDep
from web.schemas import OneLine, Strict, UkMobile

router = APIRouter(prefix="/api/national", tags=["national"], responses=COMMON)


class CentreRecipientRequest(Strict):
    name: Annotated[OneLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The duty post, for example 'Central team duty officer'."
    )
    email: EmailStr | None = None
    mobile: UkMobile | None = Field(
        default=None, description="A UK mobile number; kept in E.164 (+447700900123)."
    )
    language: Language = Language.UNKNOWN
    categories: list[Annotated[int, Field(ge=1, le=6)]] = Field(
        default=list(DEFAULT_CATEGORIES), max_length=6
    )
    significant: bool = Field(
        default=True, description="Also told of an incident of any category marked significant."
    )
    channels: list[Channel] = Field(default=list(DEFAULT_CHANNELS), min_length=1, max_length=4)

    @field_validator("channels")
    @classmethod
    def _not_teams(cls, value: list[Channel]) -> list[Channel]:
        if Channel.TEAMS in value:
            raise PydanticCustomError(
                "centre_channel",
                "Teams is each authority's own channel, not the centre's. / "
                "Sianel yr awdurdod ei hun yw Teams, nid sianel y canol.",
            )
        return value


class CentreRecipientView(BaseModel):
    id: int
    name: str
    email: str | None
    mobile: str | None
    language: Language
    categories: list[int]
    significant: bool
    channels: list[str]

    @classmethod
    def of(cls, row: CentreRecipient) -> CentreRecipientView:
        return cls(
            id=row.id or 0,
            name=row.name,
            email=row.email,
            mobile=row.mobile,
            language=row.language,
            categories=list(row.categories or []),
            significant=row.significant,
            channels=list(row.channels or []),
        )


@router.get("/centre-recipients", response_model=list[CentreRecipientView])
async def list_centre_recipients(
    caller: ReadsNational, session: SessionDep
) -> list[CentreRecipientView]:
    return [CentreRecipientView.of(r) for r in await centre.active_recipients(session=session)]


@router.post(
    "/centre-recipients", response_model=CentreRecipientView, status_code=status.HTTP_201_CREATED
)
async def add_centre_recipient(
    request: CentreRecipientRequest, caller: ManagesNational, session: SessionDep
) -> CentreRecipientView:
    """Incidents opened from now on tell them."""
    try:
        added = await centre.add_recipient(
            centre.RecipientDetails(
                name=request.name,
                email=str(request.email) if request.email else None,
                mobile=request.mobile,
                language=request.language,
                categories=request.categories,
                significant=request.significant,
                channels=request.channels,
            ),
            session=session,
        )
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "Give an email address or a mobile number. / "
            "Rhowch gyfeiriad e-bost neu rif ffôn symudol.",
        ) from None
    return CentreRecipientView.of(added)


@router.delete("/centre-recipients/{recipient_id}", status_code=status.HTTP_204_NO_CONTENT)
async def retire_centre_recipient(
    recipient_id: Annotated[int, Path(ge=0)], caller: ManagesNational, session: SessionDep
) -> None:
    if await centre.retire_recipient(recipient_id, session=session) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No duty recipient {recipient_id}. / Dim derbynnydd dyletswydd {recipient_id}.",
        )
