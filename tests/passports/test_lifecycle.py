"""The lifecycle graph, publishing and snapshots, suspension, archive, delete, audit, outbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.passports.conftest import PASSPORTS, TYRE_REQUIRED, MakePassport, create_product, fill
from tracepass.passports.lifecycle import ACTIONS, STATUSES, TRANSITIONS
from tracepass.passports.models import OutboxEvent, Passport


async def set_status(backend: Any, passport_id: str, status: str) -> None:
    async with backend.database.write_session() as session:
        await session.execute(
            update(Passport).where(Passport.id == passport_id).values(status=status)
        )
        await session.commit()


async def outbox(backend: Any, passport_id: str) -> list[str]:
    async with backend.database.read_session() as session:
        rows = (
            await session.execute(
                select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.id)
            )
        ).scalars()
        return [r.type for r in rows if r.payload.get("passportId") == passport_id]


async def act(api: Any, passport_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    return await api.post(f"{PASSPORTS}/{passport_id}/{action}", json=body)


GRAPH = [(status, action) for status in STATUSES for action in ACTIONS]


@pytest.mark.parametrize(("status", "action"), GRAPH, ids=[f"{s}-{a}" for s, a in GRAPH])
async def test_every_transition_of_the_graph(
    api: Any, backend: Any, make_passport: MakePassport, status: str, action: str
) -> None:
    passport = await make_passport()
    await set_status(backend, passport["_id"], status)
    body = {"force": True} if action == "publish" else None
    response = await act(api, passport["_id"], action, body)
    transition = TRANSITIONS[action]
    if status in transition.sources:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == transition.target
        assert await outbox(backend, passport["_id"]) == ["passport.created", transition.event]
    else:
        assert response.status_code == 409
        assert response.json() == {
            "error": "Invalid status transition",
            "details": {
                "reason": f"Cannot {action} a passport whose status is `{status}`.",
                "action": action,
                "currentStatus": status,
                "allowedFrom": sorted(transition.sources),
            },
        }
        assert await outbox(backend, passport["_id"]) == ["passport.created"]


async def test_the_happy_path_through_review(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    await fill(api, pid, TYRE_REQUIRED)
    assert (await act(api, pid, "submit")).json()["status"] == "in_review"
    assert (await act(api, pid, "approve")).json()["status"] == "approved"
    published = await act(api, pid, "publish")
    assert published.status_code == 200
    assert published.json()["publishedAt"] is not None
    assert published.json()["publishedRevision"] == published.json()["revision"]


async def test_publish_with_critical_findings_is_409_with_the_findings(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    response = await act(api, pid, "publish")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "Passport has critical compliance findings"
    assert body["details"]["verdict"] == "incomplete"
    assert {f["field"] for f in body["details"]["findings"]} == set(TYRE_REQUIRED)
    assert (await api.get(f"{PASSPORTS}/{pid}")).json()["status"] == "draft"


async def test_publish_with_force_overrides_critical_findings(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    response = await act(api, pid, "publish", {"force": True})
    assert response.status_code == 200
    audit = (await api.get(f"{PASSPORTS}/{pid}/audit")).json()["data"]["items"]
    assert audit[-1]["action"] == "status.publish"
    assert audit[-1]["changes"]["forced"] is True


async def test_publishing_freezes_a_snapshot_and_later_writes_do_not_touch_it(
    api: Any, backend: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await fill(api, pid, TYRE_REQUIRED)
    await act(api, pid, "publish")
    async with backend.database.read_session() as session:
        first = await session.get(Passport, pid)
    assert first is not None and first.published_snapshot is not None
    assert first.published_snapshot["fields"]["supplier_name"]["value"] == "Acme Tyres GmbH"
    assert first.published_snapshot["status"] == "published"
    assert first.published_snapshot["workspace"]["name"] == "Acme"
    etag = first.published_etag

    await fill(api, pid, {"supplier_name": "New Supplier"})
    after_edit = (await api.get(f"{PASSPORTS}/{pid}")).json()
    assert after_edit["status"] == "published"
    assert after_edit["hasUnpublishedChanges"] is True
    assert after_edit["revision"] == after_edit["publishedRevision"] + 1
    async with backend.database.read_session() as session:
        unchanged = await session.get(Passport, pid)
    assert unchanged is not None
    assert unchanged.published_snapshot == first.published_snapshot
    assert unchanged.published_etag == etag

    republished = await act(api, pid, "publish")
    assert republished.json()["hasUnpublishedChanges"] is False
    async with backend.database.read_session() as session:
        fresh = await session.get(Passport, pid)
    assert fresh is not None
    assert fresh.published_snapshot["fields"]["supplier_name"]["value"] == "New Supplier"
    assert fresh.published_etag != etag


async def test_suspend_records_reason_and_keeps_the_snapshot(
    api: Any, backend: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await act(api, pid, "publish", {"force": True})
    response = await act(api, pid, "suspend", {"reason": "Recall " + "x" * 600})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "suspended"
    assert body["suspendedAt"] is not None
    assert len(body["suspensionReason"]) == 500
    async with backend.database.read_session() as session:
        row = await session.get(Passport, pid)
    assert row is not None and row.published_snapshot is not None
    assert row.suspend_reason == body["suspensionReason"]
    unsuspended = await act(api, pid, "unsuspend")
    assert unsuspended.json()["status"] == "published"
    assert unsuspended.json()["suspensionReason"] is None


async def test_suspend_without_a_body_is_fine(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    await act(api, pid, "publish", {"force": True})
    response = await api.post(f"{PASSPORTS}/{pid}/suspend")
    assert response.status_code == 200
    assert response.json()["suspensionReason"] is None


async def test_archive_is_final_and_makes_the_passport_read_only(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    archived = await act(api, pid, "archive")
    assert archived.json()["archivedAt"] is not None
    write = await api.patch(f"{PASSPORTS}/{pid}/fields/speed_rating_kmh", json={"value": 1})
    assert write.status_code == 409
    assert write.json()["details"]["currentStatus"] == "archived"
    party = await api.patch(
        f"{PASSPORTS}/{pid}/parties/recycler", json={"legalName": "R", "legacyOperatorId": "R1"}
    )
    assert party.status_code == 409


async def test_racing_transitions_never_both_succeed(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    responses = await asyncio.gather(*(act(api, pid, "archive") for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]


async def test_every_change_is_in_the_audit_trail(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    await api.patch(f"{PASSPORTS}/{pid}/fields/speed_rating_kmh", json={"value": 200})
    await api.patch(f"{PASSPORTS}/{pid}/fields/speed_rating_kmh", json={"value": 240})
    await api.patch(
        f"{PASSPORTS}/{pid}/parties/recycler", json={"legalName": "R", "legacyOperatorId": "R1"}
    )
    await api.delete(f"{PASSPORTS}/{pid}/parties/recycler")
    await act(api, pid, "submit")
    response = await api.get(f"{PASSPORTS}/{pid}/audit")
    assert response.status_code == 200
    items = response.json()["data"]["items"]
    assert [i["action"] for i in items] == [
        "passport.created",
        "field.updated",
        "field.updated",
        "party.upserted",
        "party.removed",
        "status.submit",
    ]
    assert items[2]["changes"] == {"speed_rating_kmh": {"old": 200, "new": 240}}
    assert items[5]["changes"] == {"status": {"old": "draft", "new": "in_review"}}
    assert all(i["actor"] == f"api_key:{api.workspace.api_key[:11]}" for i in items)
    page = (await api.get(f"{PASSPORTS}/{pid}/audit", params={"limit": 2, "page": 3})).json()
    assert [i["action"] for i in page["data"]["items"]] == ["party.removed", "status.submit"]


async def test_lifecycle_changes_write_outbox_events(
    api: Any, backend: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await act(api, pid, "publish", {"force": True})
    await act(api, pid, "suspend", {"reason": "Recall"})
    await act(api, pid, "unsuspend")
    await act(api, pid, "archive")
    assert await outbox(backend, pid) == [
        "passport.created",
        "passport.published",
        "passport.suspended",
        "passport.unsuspended",
        "passport.archived",
    ]
    async with backend.database.read_session() as session:
        suspended = (
            (
                await session.execute(
                    select(OutboxEvent).where(OutboxEvent.type == "passport.suspended")
                )
            )
            .scalars()
            .all()
        )
    payload = next(e.payload for e in suspended if e.payload["passportId"] == pid)
    assert payload["reason"] == "Recall"
    assert payload["previousStatus"] == "published"


# --- DELETE ---


async def test_delete_removes_a_draft_and_decrements_the_product_count(
    api: Any, product_id: str, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    response = await api.delete(f"{PASSPORTS}/{pid}")
    assert response.status_code == 200
    assert response.json() == {"_id": pid, "deleted": True}
    assert (await api.get(f"{PASSPORTS}/{pid}")).status_code == 404
    product = (await api.get(f"/api/v1/products/{product_id}")).json()
    assert product["passportCount"] == 0


async def test_delete_of_an_in_review_passport_is_allowed(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await act(api, pid, "submit")
    assert (await api.delete(f"{PASSPORTS}/{pid}")).status_code == 200


@pytest.mark.parametrize("path", [["approve"], ["publish"], ["publish", "suspend"], ["archive"]])
async def test_delete_of_other_statuses_is_409(
    api: Any, backend: Any, make_passport: MakePassport, path: list[str]
) -> None:
    pid = (await make_passport())["_id"]
    if path == ["approve"]:
        await act(api, pid, "submit")
    for action in path:
        await act(api, pid, action, {"force": True} if action == "publish" else None)
    response = await api.delete(f"{PASSPORTS}/{pid}")
    assert response.status_code == 409
    assert response.json()["error"] == "Passport cannot be deleted"


async def test_delete_of_a_once_published_draft_is_409(
    api: Any, backend: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await act(api, pid, "publish", {"force": True})
    await set_status(backend, pid, "draft")  # a passport that was public once stays undeletable
    assert (await api.delete(f"{PASSPORTS}/{pid}")).status_code == 409


async def test_delete_on_the_free_plan_is_403(make_api: Any) -> None:
    api = await make_api(plan="free")
    product = await create_product(api)
    from tests.passports.conftest import create_passport

    pid = (await create_passport(api, product))["_id"]
    response = await api.delete(f"{PASSPORTS}/{pid}")
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    assert response.json()["details"]["plan"] == "free"


async def test_delete_of_another_workspaces_passport_is_404(
    make_passport: MakePassport, make_api: Any
) -> None:
    pid = (await make_passport())["_id"]
    other = await make_api()
    assert (await other.delete(f"{PASSPORTS}/{pid}")).status_code == 404
