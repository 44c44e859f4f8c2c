"""Idempotency-Key records: claim before running a write, store its first answer.

A claim is an insert of an `in_flight` row keyed by (workspace, key). Whoever
inserts it runs the request; everyone else reads the row and either replays the
stored answer, gets 409 (still in flight) or 422 (same key, other request). An
in-flight row older than the timeout belongs to a crashed process and is taken
over with a compare-and-set on `locked_at`, so only one retry wins it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.core.models import IdempotencyRecord
from tracepass.core.timeutil import utcnow
from tracepass.db.upsert import insert_for

MAX_KEY_LENGTH = 255
_STORED_HEADERS = frozenset({"content-type", "location", "etag", "content-language"})


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Literal["run", "replay", "in_flight", "mismatch"]
    stored: StoredResponse | None = None


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def storable_headers(raw_headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in raw_headers
        if name.decode("latin-1").lower() in _STORED_HEADERS
    }


async def claim(
    session: AsyncSession,
    workspace_id: str,
    key: str,
    fingerprint: str,
    ttl: timedelta,
    in_flight_timeout: timedelta,
) -> Claim:
    now = utcnow()
    table = IdempotencyRecord.__table__
    for _ in range(3):
        inserted = await session.execute(
            insert_for(session, table)
            .values(
                workspace_id=workspace_id,
                key=key,
                request_hash=fingerprint,
                state="in_flight",
                created_at=now,
                locked_at=now,
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "key"])
            .returning(table.c.key)
        )
        if inserted.first() is not None:
            await session.commit()
            return Claim("run")
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.workspace_id == workspace_id, IdempotencyRecord.key == key
                )
            )
        ).scalar_one_or_none()
        if record is None:
            continue  # deleted between our insert and select: try again
        if record.created_at < now - ttl:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.workspace_id == workspace_id,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.created_at == record.created_at,
                )
            )
            await session.commit()
            continue
        outcome = await _decide(session, record, fingerprint, now, in_flight_timeout)
        await session.commit()
        return outcome
    return Claim("in_flight")


async def _decide(
    session: AsyncSession,
    record: IdempotencyRecord,
    fingerprint: str,
    now: object,
    in_flight_timeout: timedelta,
) -> Claim:
    if record.request_hash != fingerprint:
        return Claim("mismatch")
    if record.state == "done":
        return Claim(
            "replay",
            StoredResponse(
                record.status_code or 200,
                dict(record.response_headers or {}),
                record.response_body or b"",
            ),
        )
    if record.locked_at >= utcnow() - in_flight_timeout:
        return Claim("in_flight")
    taken = await session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.workspace_id == record.workspace_id,
            IdempotencyRecord.key == record.key,
            IdempotencyRecord.state == "in_flight",
            IdempotencyRecord.locked_at == record.locked_at,
        )
        .values(locked_at=utcnow())
    )
    return Claim("run") if taken.rowcount == 1 else Claim("in_flight")  # type: ignore[attr-defined]


async def complete(
    session: AsyncSession, workspace_id: str, key: str, response: StoredResponse
) -> None:
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.workspace_id == workspace_id, IdempotencyRecord.key == key)
        .values(
            state="done",
            status_code=response.status_code,
            response_headers=response.headers,
            response_body=response.body,
        )
    )
    await session.commit()


async def release(session: AsyncSession, workspace_id: str, key: str) -> None:
    """Forget a claim whose request failed on our side, so the client may retry."""
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.workspace_id == workspace_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.state == "in_flight",
        )
    )
    await session.commit()


async def purge_expired(session: AsyncSession, ttl: timedelta) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
