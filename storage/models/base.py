"""The declarative base every model derives from, its naming convention, and portable enums."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention that Alembic can rely on."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus CHECK, storing the values (not the names)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


# The column kinds every feature repeats, named once (SQLAlchemy's ``Annotated`` mapping).
#: An integer surrogate key.
IntPK = Annotated[int, mapped_column(primary_key=True)]
#: A Telegram id (user, chat or message): 64 bits.
BigInt = Annotated[int, mapped_column(BigInteger)]
#: A name or a short label as it was shown (a member's name at the time, an error).
Label = Annotated[str, mapped_column(String(200))]
#: Free text of any length.
LongText = Annotated[str, mapped_column(Text)]


def cascade(table: str, **kw: Any) -> MappedColumn[Any]:
    """A reference to ``table.id`` that goes with the row it points to."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), **kw)


def set_null(table: str, **kw: Any) -> MappedColumn[Any]:
    """A reference to ``table.id`` that is emptied when that row goes (the label stays)."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="SET NULL"), **kw)


#: Partial unique indexes and their condition. SQLite's ``WHERE`` is given at once;
#: PostgreSQL's is added by ``postgresql_options`` when an engine for PostgreSQL is made: a
#: ``postgresql_*`` keyword is checked against the PostgreSQL dialect, which a process on SQLite
#: would otherwise import (2 MiB, with all its drivers' modules) for nothing.
_PARTIAL_INDEXES: list[tuple[Index, str]] = []


def partial_unique_index(name: str, column: str, where: str) -> Index:
    """A unique index over the rows where ``where`` (SQL) holds, on SQLite and PostgreSQL."""
    index = Index(name, column, unique=True, sqlite_where=text(where))
    _PARTIAL_INDEXES.append((index, where))
    return index


def postgresql_options() -> None:
    """Give the partial indexes their PostgreSQL condition (idempotent)."""
    for index, where in _PARTIAL_INDEXES:
        index.dialect_kwargs["postgresql_where"] = text(where)
