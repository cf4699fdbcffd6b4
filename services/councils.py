"""The 22 principal councils of Wales, seeded into every new database."""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Authority


class Council(NamedTuple):
    code: str
    name_en: str
    name_cy: str


#: Codes follow ISO 3166-2:GB, except Cardiff's CDF, the prefix councils already use.
WELSH_COUNCILS: tuple[Council, ...] = (
    Council(
        "BGW", "Blaenau Gwent County Borough Council", "Cyngor Bwrdeistref Sirol Blaenau Gwent"
    ),
    Council(
        "BGE", "Bridgend County Borough Council", "Cyngor Bwrdeistref Sirol Pen-y-bont ar Ogwr"
    ),
    Council("CAY", "Caerphilly County Borough Council", "Cyngor Bwrdeistref Sirol Caerffili"),
    Council("CDF", "Cardiff Council", "Cyngor Caerdydd"),
    Council("CMN", "Carmarthenshire County Council", "Cyngor Sir Gaerfyrddin"),
    Council("CGN", "Ceredigion County Council", "Cyngor Sir Ceredigion"),
    Council("CWY", "Conwy County Borough Council", "Cyngor Bwrdeistref Sirol Conwy"),
    Council("DEN", "Denbighshire County Council", "Cyngor Sir Ddinbych"),
    Council("FLN", "Flintshire County Council", "Cyngor Sir y Fflint"),
    Council("GWN", "Gwynedd Council", "Cyngor Gwynedd"),
    Council("AGY", "Isle of Anglesey County Council", "Cyngor Sir Ynys Môn"),
    Council(
        "MTY", "Merthyr Tydfil County Borough Council", "Cyngor Bwrdeistref Sirol Merthyr Tudful"
    ),
    Council("MON", "Monmouthshire County Council", "Cyngor Sir Fynwy"),
    Council(
        "NTL",
        "Neath Port Talbot County Borough Council",
        "Cyngor Bwrdeistref Sirol Castell-nedd Port Talbot",
    ),
    Council("NWP", "Newport City Council", "Cyngor Dinas Casnewydd"),
    Council("PEM", "Pembrokeshire County Council", "Cyngor Sir Benfro"),
    Council("POW", "Powys County Council", "Cyngor Sir Powys"),
    Council(
        "RCT",
        "Rhondda Cynon Taf County Borough Council",
        "Cyngor Bwrdeistref Sirol Rhondda Cynon Taf",
    ),
    Council("SWA", "City and County of Swansea Council", "Cyngor Dinas a Sir Abertawe"),
    Council("TOF", "Torfaen County Borough Council", "Cyngor Bwrdeistref Sirol Tor-faen"),
    Council("VGL", "Vale of Glamorgan Council", "Cyngor Bro Morgannwg"),
    Council("WRX", "Wrexham County Borough Council", "Cyngor Bwrdeistref Sirol Wrecsam"),
)


async def seed_councils(*, session: AsyncSession) -> int:
    """Add any of the 22 councils missing from the database; returns how many were added."""
    existing = set((await session.exec(select(Authority.code))).all())
    missing = [c for c in WELSH_COUNCILS if c.code not in existing]
    session.add_all(Authority(code=c.code, name_en=c.name_en, name_cy=c.name_cy) for c in missing)
    await session.commit()
    return len(missing)
