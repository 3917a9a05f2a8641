"""Columns the services' tables declare alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Numeric
from sqlmodel import Field

MONEY = Numeric(20, 2)
"""An exact amount of money, to the cent."""


def serial_id() -> Any:
    """A primary key the database numbers in the order rows are added."""
    return Field(default=None, sa_column=Column(BigInteger, primary_key=True))


def parent_id(column: str) -> Any:
    """The required, indexed reference to the row (`schema.table.id`) this row belongs to."""
    return Field(sa_column=Column(ForeignKey(column), nullable=False, index=True))
