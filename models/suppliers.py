"""Each authority's supplier register: its suppliers, and who to reach at each.

A supplier's row is never deleted: retiring it records who and when, so an incident or notice
that named it still reads it. Its id is the stable name of that authority's entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from domain.suppliers import NORMALISED_LENGTH, ContactKind
from models.columns import UtcDateTime, enum_column, utc_now


class Supplier(SQLModel, table=True):
    """One supplier in one authority's register."""

    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    name: str = Field(max_length=200)
    normalised_name: str = Field(max_length=NORMALISED_LENGTH, index=True)
    """`domain.suppliers.normalised_name`: how councils' entries for one supplier are matched."""
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contract_reference: str | None = Field(default=None, max_length=100)
    regulated_provider: bool = False
    """The council records it as regulated under the Cyber Security and Resilience Bill."""
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False)
    )
    retired_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    retired_by: str | None = Field(default=None, max_length=200)
    retired_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")


class SupplierContact(SQLModel, table=True):
    """A security or escalation contact at a supplier, in the order the council tries them."""

    __tablename__ = "supplier_contact"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    position: int
    kind: ContactKind = Field(sa_column=enum_column(ContactKind))
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    phone: str | None = Field(default=None, max_length=30)
