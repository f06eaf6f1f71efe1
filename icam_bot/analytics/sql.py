"""Portable SQL pieces for weekly analytics on PostgreSQL and SQLite: the ISO week of a timestamp, the seconds
between two timestamps, and a median computed in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, Select, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement


class week_start(FunctionElement[str]):  # noqa: N801 - a SQL function, named like one
    """The Monday (UTC) starting the ISO week of a timestamp, as ``YYYY-MM-DD`` text."""

    type = String()
    name = "week_start"
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_postgresql(element: week_start, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    inner = compiler.process(value, **kw)
    return f"to_char(date_trunc('week', timezone('UTC', {inner})), 'YYYY-MM-DD')"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    (value,) = element.clauses
    # 'weekday 0' moves to the next Sunday (a Sunday stays), six days back is that week's Monday
    return f"date({compiler.process(value, **kw)}, 'weekday 0', '-6 days')"


class seconds_between(FunctionElement[float]):  # noqa: N801 - a SQL function, named like one
    """``end - start`` in seconds (a float)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def median(session: Session, values: Select[Any]) -> tuple[float | None, int]:
    """The median of the one-column query ``values`` (NULLs left out) and how many values it has, both computed by
    the database: a count, then the one or two middle values by ORDER BY ... LIMIT/OFFSET."""
    sub = values.subquery()
    column: ColumnElement[Any] = sub.c[0]
    count = int(session.execute(select(func.count()).select_from(sub).where(column.is_not(None))).scalar_one())
    if count == 0:
        return None, 0
    middle = (
        select(column.label("v"))
        .where(column.is_not(None))
        .order_by(column)
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
        .subquery()
    )
    value = session.execute(select(func.avg(middle.c.v))).scalar_one()
    return (None if value is None else float(value)), count
