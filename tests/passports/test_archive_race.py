"""A product being archived never ends up with a live passport created in the same instant."""

from __future__ import annotations

import asyncio

from tests.passports.conftest import PASSPORTS, PRODUCTS, new_gtin, passport_body


async def test_archive_racing_creates_never_leaves_a_live_passport_on_an_archived_product(
    api, make_product
):
    for _ in range(3):
        product_id = await make_product()
        gtin = new_gtin()
        creates = [api.post(PASSPORTS, json=passport_body(product_id, gtin)) for _ in range(8)]
        archive = api.post(f"{PRODUCTS}/{product_id}/archive")
        *created, archived = await asyncio.gather(*creates, archive)

        live = [r for r in created if r.status_code == 201]
        refused = [r for r in created if r.status_code != 201]
        assert all(r.status_code == 409 for r in refused)
        if archived.status_code == 200:
            assert live == []
        else:
            assert archived.status_code == 409
            assert live
        product = (await api.get(f"{PRODUCTS}/{product_id}")).json()
        assert product["passportCount"] == len(live)


async def test_passport_create_locks_its_product_row_on_postgresql(api, make_product, backend):
    """The race above is narrow; this pins the mechanism that closes it (SQLite instead
    serialises every write transaction with BEGIN IMMEDIATE)."""
    from sqlalchemy import event

    if backend.name != "postgres":
        assert backend.database.is_sqlite
        return
    product_id = await make_product()
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = backend.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = await api.post(PASSPORTS, json=passport_body(product_id))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert response.status_code == 201
    assert any("FROM products" in s and "FOR UPDATE" in s for s in statements)
