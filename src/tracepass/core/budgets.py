"""Daily v1 budgets: one counter row per workspace, UTC day and kind.

The increment is a single conditional upsert, so at a cap of N exactly N requests
pass however many processes race: the row lock (PostgreSQL) or the single writer
(SQLite) orders them, and the `WHERE count + amount <= cap` refuses the rest.

An unlimited budget has nothing to refuse, so paying a write transaction per request
for it (on SQLite: turning every read into a serialized write) buys nothing: its
counts are added up in memory (`UsageBuffer`) and written by one upsert per
workspace, day and kind at most FLUSH_SECONDS later, and at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Executable, select
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.core.auth import AuthContext
from tracepass.core.models import UsageCounter
from tracepass.core.timeutil import seconds_to_next_utc_midnight, utc_day
from tracepass.db.upsert import insert_for

if TYPE_CHECKING:
    from tracepass.db.engine import Database

logger = logging.getLogger("tracepass.budgets")

BudgetKind = Literal["writes", "reads"]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DAY_SECONDS = 86_400
FLUSH_SECONDS = 1.0

# Routes that are free (catalogue reads) or cost more than one unit (batch create).
_EXEMPT = re.compile(r"^/api/v1/templates(/|$)")
_BATCH = re.compile(r"^/api/v1/passports/batch/?$")


@dataclass(frozen=True, slots=True)
class Charge:
    kind: BudgetKind
    amount: int


@dataclass(frozen=True, slots=True)
class BudgetState:
    kind: BudgetKind
    cap: int | None
    used: int
    allowed: bool

    @property
    def remaining(self) -> int | None:
        return None if self.cap is None else max(0, self.cap - self.used)


def charge_for(method: str, path: str) -> Charge | None:
    """What a request costs before its body is known; None when it is free."""
    if _EXEMPT.match(path):
        return None
    return Charge("writes" if method in WRITE_METHODS else "reads", 1)


def needs_body_for_cost(method: str, path: str) -> bool:
    return method == "POST" and bool(_BATCH.match(path))


def batch_cost(items: int) -> Charge:
    return Charge("writes", max(1, items))


def cap_for(auth: AuthContext, kind: BudgetKind) -> int | None:
    plan = auth.plan
    return plan.max_v1_writes_per_day if kind == "writes" else plan.max_v1_passports_per_day


def is_unlimited(auth: AuthContext, kind: BudgetKind) -> bool:
    return cap_for(auth, kind) is None


def _increment(
    session: AsyncSession, workspace_id: str, day: str, kind: str, amount: int, cap: int | None
) -> Executable:
    """Add `amount` to a counter row, creating it; with a cap, only while it stays within it.

    Returns the new count, or no row when the cap refused the increment."""
    table = UsageCounter.__table__
    statement = insert_for(session, table).values(
        workspace_id=workspace_id, day=day, kind=kind, count=amount
    )
    return statement.on_conflict_do_update(
        index_elements=["workspace_id", "day", "kind"],
        set_={"count": table.c.count + amount},
        where=(table.c.count + amount <= cap) if cap is not None else None,
    ).returning(table.c.count)


_buffers: weakref.WeakSet[UsageBuffer] = weakref.WeakSet()


class UsageBuffer:
    """Counts of unlimited budgets, added up in memory and flushed to the counters."""

    def __init__(self, database: Database, delay: float = FLUSH_SECONDS) -> None:
        self.db = database
        self.delay = delay
        self.pending: dict[tuple[str, str, str], int] = {}
        self._flusher: asyncio.Task[None] | None = None
        _buffers.add(self)

    def add(self, auth: AuthContext, cost: Charge) -> BudgetState:
        key = (auth.workspace_id, utc_day(), cost.kind)
        self.pending[key] = self.pending.get(key, 0) + cost.amount
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())
        return BudgetState(cost.kind, None, 0, allowed=True)

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.delay)
        await self.flush()

    async def flush(self) -> None:
        pending, self.pending = self.pending, {}
        if not pending:
            return
        try:
            async with self.db.write_session() as session:
                for (workspace_id, day, kind), amount in sorted(pending.items()):
                    await session.execute(
                        _increment(session, workspace_id, day, kind, amount, cap=None)
                    )
                await session.commit()
        except Exception:  # never let bookkeeping of an unlimited budget break serving
            logger.warning("could not write %d usage counters", len(pending), exc_info=True)

    def pending_for(self, workspace_id: str, kind: BudgetKind) -> int:
        return self.pending.get((workspace_id, utc_day(), kind), 0)


def unflushed_usage(workspace_id: str, kind: BudgetKind) -> int:
    return sum(buffer.pending_for(workspace_id, kind) for buffer in list(_buffers))


async def charge(session: AsyncSession, auth: AuthContext, cost: Charge) -> BudgetState:
    """Atomically add `cost` to today's counter unless that would pass the cap; commits."""
    cap = cap_for(auth, cost.kind)
    if cap is not None and cost.amount > cap:
        used = await current_usage(session, auth.workspace_id, cost.kind)
        return BudgetState(cost.kind, cap, used, allowed=False)
    statement = _increment(session, auth.workspace_id, utc_day(), cost.kind, cost.amount, cap)
    charged: int | None = (await session.execute(statement)).scalar_one_or_none()
    await session.commit()
    if charged is None:
        used = await current_usage(session, auth.workspace_id, cost.kind)
        return BudgetState(cost.kind, cap, used, allowed=False)
    return BudgetState(cost.kind, cap, charged, allowed=True)


async def current_usage(session: AsyncSession, workspace_id: str, kind: BudgetKind) -> int:
    used = await session.scalar(
        select(UsageCounter.count).where(
            UsageCounter.workspace_id == workspace_id,
            UsageCounter.day == utc_day(),
            UsageCounter.kind == kind,
        )
    )
    return int(used or 0)


async def peek(session: AsyncSession, auth: AuthContext, kind: BudgetKind) -> BudgetState:
    used = await current_usage(session, auth.workspace_id, kind)
    used += unflushed_usage(auth.workspace_id, kind)
    cap = cap_for(auth, kind)
    return BudgetState(kind, cap, used, allowed=cap is None or used < cap)


def rate_limit_headers(auth: AuthContext, state: BudgetState) -> dict[str, str]:
    """IETF RateLimit-Policy / RateLimit fields (draft-ietf-httpapi-ratelimit-headers).

    Unlimited budgets have no quota to express, so they carry no such fields.
    """
    reset = seconds_to_next_utc_midnight()
    policies = []
    for kind in ("writes", "reads"):
        cap = cap_for(auth, kind)
        if cap is not None:
            policies.append(f'"{kind}";q={cap};w={DAY_SECONDS}')
    headers: dict[str, str] = {}
    if policies:
        headers["RateLimit-Policy"] = ", ".join(policies)
    if state.cap is not None:
        headers["RateLimit"] = f'"{state.kind}";r={state.remaining};t={reset}'
    return headers


def over_budget_details(auth: AuthContext, state: BudgetState) -> dict[str, object]:
    return {
        "budget": "maxV1WritesPerDay" if state.kind == "writes" else "maxV1PassportsPerDay",
        "limit": state.cap,
        "used": state.used,
        "plan": auth.plan.name,
        "resetsInSeconds": seconds_to_next_utc_midnight(),
    }
