"""PATCH fields (validation, clearing), the review queue, and economic-operator parties."""

from __future__ import annotations

from typing import Any

import pytest

from tests.passports.conftest import PASSPORTS, MakePassport


def field_url(passport_id: str, key: str) -> str:
    return f"{PASSPORTS}/{passport_id}/fields/{key}"


async def test_field_write_is_approved_and_bumps_the_revision(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    response = await api.patch(field_url(passport["_id"], "speed_rating_kmh"), json={"value": 240})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["value"], body["source"], body["revision"]) == (
        "approved",
        240,
        "manual",
        2,
    )
    stored = (await api.get(f"{PASSPORTS}/{passport['_id']}")).json()
    assert stored["fields"]["speed_rating_kmh"]["value"] == 240
    assert stored["revision"] == 2


async def test_camel_case_key_is_normalised(api: Any, make_passport: MakePassport) -> None:
    passport = await make_passport()
    response = await api.patch(field_url(passport["_id"], "speedRatingKmh"), json={"value": 200})
    assert response.status_code == 200
    assert response.json()["key"] == "speed_rating_kmh"


async def test_unknown_key_is_400_with_a_suggestion(api: Any, make_passport: MakePassport) -> None:
    passport = await make_passport()
    response = await api.patch(field_url(passport["_id"], "speed_rating_kmhh"), json={"value": 1})
    assert response.status_code == 400
    message = response.json()["details"]["fieldErrors"]["speed_rating_kmhh"][0]
    assert "Did you mean `speed_rating_kmh`?" in message


async def test_wrongly_typed_value_is_400(api: Any, make_passport: MakePassport) -> None:
    passport = await make_passport()
    response = await api.patch(
        field_url(passport["_id"], "speed_rating_kmh"), json={"value": "fast"}
    )
    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {
        "speed_rating_kmh": ["Expected a number, got string."]
    }


async def test_translations_on_a_non_translatable_field_are_400(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    response = await api.patch(
        field_url(passport["_id"], "supplier_name"),
        json={"value": "Acme", "translations": {"de": "Acme"}},
    )
    assert response.status_code == 400


async def test_null_clears_a_field(api: Any, make_passport: MakePassport) -> None:
    passport = await make_passport()
    url = field_url(passport["_id"], "speed_rating_kmh")
    await api.patch(url, json={"value": 240})
    cleared = await api.patch(url, json={"value": None})
    assert cleared.status_code == 200
    assert cleared.json()["value"] is None
    stored = (await api.get(f"{PASSPORTS}/{passport['_id']}")).json()
    assert "speed_rating_kmh" not in stored["fields"]


async def test_value_is_required_in_the_body(api: Any, make_passport: MakePassport) -> None:
    passport = await make_passport()
    response = await api.patch(field_url(passport["_id"], "speed_rating_kmh"), json={})
    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {"value": ["Required"]}


async def test_field_write_on_another_workspaces_passport_is_404(
    make_passport: MakePassport, make_api: Any
) -> None:
    passport = await make_passport()
    other = await make_api()
    response = await other.patch(field_url(passport["_id"], "speed_rating_kmh"), json={"value": 1})
    assert response.status_code == 404


# --- review queue ---


@pytest.mark.parametrize("source", ["ai_suggested", "supplier"])
async def test_reviewed_sources_go_to_the_queue_without_replacing_the_value(
    api: Any, make_passport: MakePassport, source: str
) -> None:
    passport = await make_passport()
    url = field_url(passport["_id"], "speed_rating_kmh")
    await api.patch(url, json={"value": 200})
    proposed = await api.patch(url, json={"value": 240, "source": source})
    assert proposed.status_code == 200
    assert proposed.json()["status"] == "pending_review"
    stored = (await api.get(f"{PASSPORTS}/{passport['_id']}")).json()
    assert stored["fields"]["speed_rating_kmh"]["value"] == 200
    assert stored["pendingReviewCount"] == 1
    queue = (await api.get(f"{PASSPORTS}/{passport['_id']}/review")).json()["data"]
    assert queue["total"] == 1
    item = queue["items"][0]
    assert (item["key"], item["value"], item["source"], item["status"]) == (
        "speed_rating_kmh",
        240,
        source,
        "pending",
    )


async def test_approving_a_review_item_applies_the_value(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    pid = passport["_id"]
    await api.patch(
        field_url(pid, "speed_rating_kmh"), json={"value": 240, "source": "ai_suggested"}
    )
    approved = await api.post(f"{PASSPORTS}/{pid}/review/speed_rating_kmh/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    stored = (await api.get(f"{PASSPORTS}/{pid}")).json()
    assert stored["fields"]["speed_rating_kmh"]["value"] == 240
    assert stored["fields"]["speed_rating_kmh"]["source"] == "ai_approved"
    assert stored["pendingReviewCount"] == 0
    assert stored["revision"] == 2


async def test_rejecting_a_review_item_keeps_the_approved_value(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    pid = passport["_id"]
    await api.patch(field_url(pid, "speed_rating_kmh"), json={"value": 200})
    await api.patch(field_url(pid, "speed_rating_kmh"), json={"value": 240, "source": "supplier"})
    rejected = await api.post(f"{PASSPORTS}/{pid}/review/speed_rating_kmh/reject")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    stored = (await api.get(f"{PASSPORTS}/{pid}")).json()
    assert stored["fields"]["speed_rating_kmh"]["value"] == 200
    history = (await api.get(f"{PASSPORTS}/{pid}/review", params={"status": "all"})).json()
    assert [i["status"] for i in history["data"]["items"]] == ["rejected"]


async def test_a_newer_proposal_supersedes_the_pending_one(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    url = field_url(pid, "speed_rating_kmh")
    await api.patch(url, json={"value": 200, "source": "supplier"})
    await api.patch(url, json={"value": 210, "source": "supplier"})
    pending = (await api.get(f"{PASSPORTS}/{pid}/review")).json()["data"]["items"]
    assert [i["value"] for i in pending] == [210]


async def test_deciding_without_a_pending_item_is_404(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    response = await api.post(f"{PASSPORTS}/{pid}/review/speed_rating_kmh/approve")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "review item"}}


async def test_proposals_are_validated_too(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    response = await api.patch(
        field_url(pid, "speed_rating_kmh"), json={"value": "fast", "source": "ai_suggested"}
    )
    assert response.status_code == 400


# --- parties ---

MANUFACTURER = {
    "legalName": "Acme Batteries GmbH",
    "gln": "4012345000009",
    "country": "DE",
    "url": "https://acme.example",
}


def party_url(passport_id: str, role: str) -> str:
    return f"{PASSPORTS}/{passport_id}/parties/{role}"


async def test_party_upsert_stores_and_replaces_the_role(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    first = await api.patch(party_url(pid, "manufacturer"), json=MANUFACTURER)
    assert first.status_code == 200
    assert first.json()["party"]["legalName"] == "Acme Batteries GmbH"
    replacement = {"legalName": "Acme Holding", "legacyOperatorId": "DE123456789"}
    second = await api.patch(party_url(pid, "manufacturer"), json=replacement)
    assert second.status_code == 200
    stored = (await api.get(f"{PASSPORTS}/{pid}")).json()["parties"]["manufacturer"]
    assert {k: v for k, v in stored.items() if k != "updatedAt"} == replacement


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gln": "4012345000009"}, "legalName"),
        ({"legalName": "Acme"}, "gln"),
        ({"legalName": "Acme", "gln": "4012345000008"}, "gln"),
        ({"legalName": "Acme", "gln": "401234500000"}, "gln"),
        ({"legalName": "Acme", "gln": "4012345000009", "country": "XX"}, "country"),
        ({"legalName": "Acme", "gln": "4012345000009", "country": "de"}, "country"),
        ({"legalName": "Acme", "gln": "4012345000009", "url": "http://acme.example"}, "url"),
        ({"legalName": "Acme", "gln": "4012345000009", "nickname": "x"}, "nickname"),
    ],
)
async def test_invalid_party_is_400(
    api: Any, make_passport: MakePassport, body: dict[str, Any], field: str
) -> None:
    pid = (await make_passport())["_id"]
    response = await api.patch(party_url(pid, "manufacturer"), json=body)
    assert response.status_code == 400
    assert field in response.json()["details"]["fieldErrors"]


async def test_unknown_role_is_400(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    response = await api.patch(party_url(pid, "shipper"), json=MANUFACTURER)
    assert response.status_code == 400
    assert "role" in response.json()["details"]["fieldErrors"]


@pytest.mark.parametrize(
    "role",
    [
        "manufacturer",
        "importer",
        "authorisedRepresentative",
        "distributor",
        "recycler",
        "producerResponsibilityOrg",
    ],
)
async def test_every_documented_role_is_accepted(
    api: Any, make_passport: MakePassport, role: str
) -> None:
    pid = (await make_passport())["_id"]
    assert (await api.patch(party_url(pid, role), json=MANUFACTURER)).status_code == 200


async def test_party_delete_is_idempotent(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    await api.patch(party_url(pid, "recycler"), json=MANUFACTURER)
    first = await api.delete(party_url(pid, "recycler"))
    second = await api.delete(party_url(pid, "recycler"))
    assert first.status_code == second.status_code == 200
    assert first.json()["party"] is None
    stored = (await api.get(f"{PASSPORTS}/{pid}")).json()
    assert "recycler" not in stored["parties"]
    assert stored["revision"] == 3  # upsert + one real removal
