"""Access levels: grants (restricted / authority), the owner's key, and bad tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tests.public.conftest import PASSPORTS, MakePublished, create_passport, path_of
from tracepass.core.timeutil import iso_z, utcnow
from tracepass.public.models import AccessGrant

RESTRICTED_FIELD = "importer_eori_number"
AUTHORITY_FIELD = "svhc_candidate_list_substances"


async def grant(api: Any, passport_id: str, level: str, **extra: Any) -> dict[str, Any]:
    response = await api.post(
        f"{PASSPORTS}/{passport_id}/access-grants", json={"level": level, **extra}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_anonymous_sees_public_fields_only(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    fields = (await client.get(path_of(passport))).json()["fields"]
    assert "supplier_name" in fields
    assert RESTRICTED_FIELD not in fields
    assert AUTHORITY_FIELD not in fields
    assert {f["accessLevel"] for f in fields.values()} == {"public"}


async def test_issuing_a_grant_returns_the_token_once(
    api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "restricted", label="Recycler X")
    assert issued["token"].startswith("tpg_")
    assert issued["tokenPrefix"] == issued["token"][:12]
    assert issued["level"] == "restricted"
    assert issued["label"] == "Recycler X"
    assert issued["passportId"] == passport["_id"]
    assert issued["active"] is True
    assert issued["expiresAt"] is None
    assert issued["revokedAt"] is None
    assert issued["viewerUrl"] == f"{passport['gs1']['digitalLinkUri']}?access={issued['token']}"


async def test_grant_token_is_stored_hashed(
    api: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "authority")
    async with backend.database.read_session() as session:
        row = (
            await session.execute(select(AccessGrant).where(AccessGrant.id == issued["_id"]))
        ).scalar_one()
    assert row.token_hash == hashlib.sha256(issued["token"].encode()).hexdigest()
    assert issued["token"] not in {row.token_hash, row.token_prefix, row.label}


async def test_listing_grants_never_shows_tokens(api: Any, make_published: MakePublished) -> None:
    passport = await make_published()
    first = await grant(api, passport["_id"], "restricted", label="a")
    second = await grant(api, passport["_id"], "authority", label="b")
    response = await api.get(f"{PASSPORTS}/{passport['_id']}/access-grants")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["total"], data["page"], data["limit"], data["totalPages"]) == (2, 1, 20, 1)
    assert {g["_id"] for g in data["items"]} == {first["_id"], second["_id"]}
    assert all("token" not in g and "viewerUrl" not in g for g in data["items"])
    assert first["token"] not in response.text


async def test_restricted_grant_on_the_page_reveals_restricted_not_authority(
    client: httpx.AsyncClient, api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "restricted")
    response = await client.get(path_of(passport), params={"access": issued["token"]})
    body = response.json()
    assert body["accessLevel"] == "restricted"
    assert body["fields"][RESTRICTED_FIELD]["value"] == "DE123456789012345"
    assert AUTHORITY_FIELD not in body["fields"]
    assert response.headers["cache-control"] == "private, no-store"


async def test_authority_grant_as_bearer_reveals_every_level(
    client: httpx.AsyncClient, api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "authority")
    body = (await client.get(path_of(passport), headers=bearer(issued["token"]))).json()
    assert body["accessLevel"] == "authority"
    assert body["fields"][AUTHORITY_FIELD]["value"] == ["Lead"]
    assert RESTRICTED_FIELD in body["fields"]


async def test_restricted_page_keeps_the_grant_in_its_own_links(
    client: httpx.AsyncClient, api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "restricted")
    page = await client.get(
        path_of(passport), params={"access": issued["token"]}, headers={"Accept": "text/html"}
    )
    assert "Legitimate-interest view" in page.text
    assert "Importer EORI Number" in page.text
    assert f"?lang=de&amp;access={issued['token']}" in page.text


async def test_owner_api_key_sees_everything(
    client: httpx.AsyncClient, api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    body = (await client.get(path_of(passport), headers=api.workspace.headers)).json()
    assert body["accessLevel"] == "authority"
    assert {RESTRICTED_FIELD, AUTHORITY_FIELD} <= set(body["fields"])


async def test_another_workspaces_key_sees_the_public_view(
    client: httpx.AsyncClient, make_api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    stranger = await make_api(name="Other", plan="enterprise")
    response = await client.get(path_of(passport), headers=stranger.workspace.headers)
    assert response.status_code == 200
    assert response.json()["accessLevel"] == "public"
    assert RESTRICTED_FIELD not in response.json()["fields"]


async def test_wrong_token_shows_the_public_view_not_an_error(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    for token in ("tpg_not-a-real-token", "garbage", "tp_unknownkey", "x" * 500):
        response = await client.get(path_of(passport), params={"access": token})
        assert response.status_code == 200
        assert response.json()["accessLevel"] == "public"
        assert RESTRICTED_FIELD not in response.json()["fields"]


async def test_grant_of_another_passport_shows_the_public_view(
    client: httpx.AsyncClient, api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    other = await make_published()
    issued = await grant(api, other["_id"], "authority")
    body = (await client.get(path_of(passport), headers=bearer(issued["token"]))).json()
    assert body["accessLevel"] == "public"


async def test_expired_grant_shows_the_public_view(
    client: httpx.AsyncClient, api: Any, backend: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(
        api, passport["_id"], "authority", expiresAt=iso_z(utcnow() + timedelta(hours=1))
    )
    async with backend.database.write_session() as session:
        row = await session.get(AccessGrant, issued["_id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    body = (await client.get(path_of(passport), headers=bearer(issued["token"]))).json()
    assert body["accessLevel"] == "public"


async def test_revoked_grant_shows_the_public_view(
    client: httpx.AsyncClient, api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "restricted")
    response = await api.delete(f"{PASSPORTS}/{passport['_id']}/access-grants/{issued['_id']}")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert response.json()["revokedAt"] is not None
    body = (await client.get(path_of(passport), params={"access": issued["token"]})).json()
    assert body["accessLevel"] == "public"


async def test_revoking_twice_answers_the_same_revoked_grant(
    api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    issued = await grant(api, passport["_id"], "restricted")
    url = f"{PASSPORTS}/{passport['_id']}/access-grants/{issued['_id']}"
    first = await api.delete(url)
    second = await api.delete(url)
    assert second.status_code == 200
    assert second.json() == first.json()


async def test_revoking_an_unknown_grant_is_404(api: Any, make_published: MakePublished) -> None:
    passport = await make_published()
    response = await api.delete(
        f"{PASSPORTS}/{passport['_id']}/access-grants/aaaaaaaaaaaaaaaaaaaaaaaa"
    )
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "accessGrant"}}


async def test_grant_needs_a_known_level(api: Any, make_published: MakePublished) -> None:
    passport = await make_published()
    response = await api.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants", json={"level": "public"}
    )
    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["level"]


async def test_grant_expiry_must_be_in_the_future(api: Any, make_published: MakePublished) -> None:
    passport = await make_published()
    response = await api.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants",
        json={"level": "restricted", "expiresAt": "2020-01-01T00:00:00Z"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "Validation error",
        "details": {"fieldErrors": {"expiresAt": ["Must be in the future"]}},
    }


async def test_grant_on_another_workspaces_passport_is_404(
    make_api: Any, make_published: MakePublished
) -> None:
    passport = await make_published()
    stranger = await make_api(name="Other", plan="enterprise")
    response = await stranger.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants", json={"level": "authority"}
    )
    assert response.status_code == 404
    listing = await stranger.get(f"{PASSPORTS}/{passport['_id']}/access-grants")
    assert listing.status_code == 404


async def test_grant_routes_need_an_api_key(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants", json={"level": "authority"}
    )
    assert response.status_code == 401


async def test_issuing_a_grant_counts_as_a_write(make_api: Any) -> None:
    free = await make_api(plan="free")
    passport = await create_passport(free)
    response = await free.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants", json={"level": "restricted"}
    )
    assert response.status_code == 201
    assert response.headers["ratelimit"].startswith('"writes";')
