"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator

from domain.obligations import Body
from domain.vocabulary import NcscCategory


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on SQLite (which drops zones) and PostgreSQL.

    Regulators' clocks are measured in hours across weekends and clock changes: a naive
    timestamp is a bug waiting for the last Sunday of October.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def enum_column(
    enum: type[StrEnum], *, nullable: bool = False, index: bool = False, primary_key: bool = False
) -> Column:
    """A string enum stored by value ("executive_member"), readable without the code."""
    return Column(
        SAEnum(
            enum,
            values_callable=lambda members: [m.value for m in members],
            native_enum=False,
            create_constraint=False,
            length=40,
        ),
        nullable=nullable,
        index=index,
        primary_key=primary_key,
    )


class CategoryType(TypeDecorator[NcscCategory]):
    """NCSC categories stored as the numbers 1-6 people use."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Any) -> int | None:
        return None if value is None else int(NcscCategory(value))

    def process_result_value(self, value: int | None, dialect: Any) -> NcscCategory | None:
        return None if value is None else NcscCategory(value)


class BodyKey(TypeDecorator[Body]):
    """A reporting body's key, stored as written in the regime ("ico"): any key a regime file
    gives, so a body added by a file needs no change to the schema."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Body | str | None, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Any) -> Body | None:
        return None if value is None else Body(value)


def body_column(*, primary_key: bool = False) -> Column:
    return Column(BodyKey(), nullable=False, primary_key=primary_key)
