"""Public bodies rendered at publish time (`public_renders`) and when scans use them.

A canonical scan without credentials or a language is answered from the stored bytes;
the tests plant a sentinel body to see which path answered, and compare the stored
bytes with an on-demand rendering of the same snapshot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from tests.public.conftest import (
    MakePublished,
    create_passport,
    path_of,
    publish,
    set_field,
)
from tracepass.passports.models import Passport
from tracepass.public.models import PublicRender

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}
SENTINEL = b'{"stored":true}'


async def stored(backend: Any, passport_id: str) -> PublicRender | None:
    async with backend.database.read_session() as session:
        return (
            await session.execute(
                select(PublicRender).where(PublicRender.passport_id == passport_id)
            )
        ).scalar_one_or_none()


async def change_stored(backend: Any, passport_id: str, **values: Any) -> None:
    async with backend.database.write_session() as session:
        await session.execute(
            update(PublicRender).where(PublicRender.passport_id == passport_id).values(**values)
        )
        await session.commit()


async def forget_stored(backend: Any, passport_id: str) -> None:
    async with backend.database.write_session() as session:
        await session.execute(delete(PublicRender).where(PublicRender.passport_id == passport_id))
        await session.commit()


async def test_publishing_stores_the_json_and_html_bodies(
    client: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    render = await stored(backend, passport["_id"])
    assert render is not None
    json_scan = await client.get(path_of(passport), headers=JSON)
    html_scan = await client.get(path_of(passport), headers=HTML)
    assert (json_scan.status_code, html_scan.status_code) == (200, 200)
    assert json_scan.content == render.json_body
    assert html_scan.content == render.html_body


async def test_stored_bodies_equal_an_on_demand_rendering_with_the_same_etag(
    client: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    from_store = {
        k: await client.get(path_of(passport), headers=h)
        for k, h in (("json", JSON), ("html", HTML))
    }
    await forget_stored(backend, passport["_id"])
    for kind, headers in (("json", JSON), ("html", HTML)):
        rendered = await client.get(path_of(passport), headers=headers)
        assert rendered.status_code == 200
        assert rendered.content == from_store[kind].content, kind
        assert rendered.headers["etag"] == from_store[kind].headers["etag"], kind


async def test_a_canonical_scan_is_answered_from_the_stored_body(
    client: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    await change_stored(backend, passport["_id"], json_body=SENTINEL)
    response = await client.get(path_of(passport), headers=JSON)
    assert response.status_code == 200
    assert response.content == SENTINEL


async def test_a_scan_with_a_language_or_credentials_is_rendered_on_demand(
    client: Any, api: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    await change_stored(backend, passport["_id"], json_body=SENTINEL)
    with_language = await client.get(path_of(passport), headers={**JSON, "Accept-Language": "de"})
    with_key = await client.get(path_of(passport), headers={**JSON, **api.workspace.headers})
    for response in (with_language, with_key):
        assert response.status_code == 200
        assert response.content != SENTINEL
        assert response.json()["gs1"]["serialNumber"] == passport["gs1"]["serialNumber"]


async def test_a_scan_with_a_lot_in_the_path_is_rendered_on_demand(
    client: Any, api: Any, backend: Any
) -> None:
    passport = await create_passport(api, lot="LOT7")
    passport = await publish(api, passport["_id"])
    await change_stored(backend, passport["_id"], html_body=SENTINEL)
    gs1 = passport["gs1"]
    response = await client.get(
        f"/p/01/{gs1['gtin']}/10/LOT7/21/{gs1['serialNumber']}", headers=HTML
    )
    assert response.status_code == 200
    assert response.content != SENTINEL
    assert "/10/LOT7/21/" in response.text


async def test_a_body_rendered_by_other_code_is_not_used(
    client: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    await change_stored(backend, passport["_id"], json_body=SENTINEL, render_key="0" * 32)
    response = await client.get(path_of(passport), headers=JSON)
    assert response.status_code == 200
    assert response.content != SENTINEL
    assert response.json()["gs1"]["serialNumber"] == passport["gs1"]["serialNumber"]


async def test_the_stored_bodies_carry_the_published_etag_of_the_passport(
    backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    render = await stored(backend, passport["_id"])
    async with backend.database.read_session() as session:
        current = await session.scalar(
            select(Passport.published_etag).where(Passport.id == passport["_id"])
        )
    assert render is not None
    assert render.published_etag == current


async def test_republishing_replaces_the_stored_bodies(
    client: Any, api: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    before = await stored(backend, passport["_id"])
    assert before is not None
    await set_field(api, passport["_id"], "supplier_name", {"value": "Renamed Supplier AG"})
    await publish(api, passport["_id"])
    after = await stored(backend, passport["_id"])
    assert after is not None
    assert after.published_etag != before.published_etag
    assert b"Renamed Supplier AG" in after.json_body
    scan = await client.get(path_of(passport), headers=JSON)
    assert scan.content == after.json_body


async def test_a_suspended_passport_is_not_served_from_its_stored_body(
    client: Any, api: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await api.post(
        f"/api/v1/passports/{passport['_id']}/suspend", json={"reason": "Recall"}
    )
    assert response.status_code == 200
    scan = await client.get(path_of(passport), headers=JSON)
    assert scan.status_code == 423
    assert scan.json()["details"]["reason"] == "Recall"
