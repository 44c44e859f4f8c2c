from __future__ import annotations

import re

import pytest

from tests.conftest import PUBLIC_URL
from tests.products.conftest import PRODUCTS, tiny_jpeg, tiny_png, tiny_webp

FIVE_MB = 5 * 1024 * 1024
MEDIA_URL = re.compile(rf"^{re.escape(PUBLIC_URL)}/media/[0-9a-f]{{24}}\.(png|jpg|webp)$")


async def upload(api, product_id: str, data: bytes, filename: str = "hero.png", ctype="image/png"):
    return await api.post(
        f"{PRODUCTS}/{product_id}/images", files={"file": (filename, data, ctype)}
    )


def media_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def test_upload_appends_the_image_url_and_returns_the_product(api, make_product):
    created = await make_product(imageUrls=["https://cdn.example.com/existing.jpg"])

    response = await upload(api, created["_id"], tiny_png())

    assert response.status_code == 201
    body = response.json()
    assert MEDIA_URL.match(body["imageUrl"])
    assert body["imageUrl"].endswith(".png")
    assert body["imageUrls"] == ["https://cdn.example.com/existing.jpg", body["imageUrl"]]
    product = (await api.get(f"{PRODUCTS}/{created['_id']}")).json()
    assert body == {**product, "imageUrl": body["imageUrl"]}
    assert product["updatedAt"] > created["updatedAt"]


async def test_uploaded_image_is_served_with_its_type_and_bytes(api, client, make_product):
    created = await make_product()
    url = (await upload(api, created["_id"], tiny_png())).json()["imageUrl"]

    response = await client.get(f"/media/{media_name(url)}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == tiny_png()


async def test_head_on_a_served_image_gives_headers_only(api, client, make_product):
    created = await make_product()
    url = (await upload(api, created["_id"], tiny_png())).json()["imageUrl"]

    response = await client.head(f"/media/{media_name(url)}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(tiny_png()))
    assert response.content == b""


async def test_served_image_revalidates_with_its_etag(api, client, make_product):
    created = await make_product()
    name = media_name((await upload(api, created["_id"], tiny_png())).json()["imageUrl"])
    etag = (await client.get(f"/media/{name}")).headers["etag"]

    response = await client.get(f"/media/{name}", headers={"If-None-Match": etag})

    assert response.status_code == 304


@pytest.mark.parametrize(
    ("data", "extension", "content_type"),
    [(tiny_jpeg(), "jpg", "image/jpeg"), (tiny_webp(), "webp", "image/webp")],
)
async def test_jpeg_and_webp_are_recognised_by_their_bytes(
    api, client, make_product, data, extension, content_type
):
    created = await make_product()

    # The declared name and type are deliberately wrong: the bytes decide.
    response = await upload(api, created["_id"], data, "photo.gif", "application/octet-stream")

    assert response.status_code == 201
    url = response.json()["imageUrl"]
    assert url.endswith(f".{extension}")
    served = await client.get(f"/media/{media_name(url)}")
    assert served.headers["content-type"] == content_type
    assert served.content == data


async def test_text_named_and_typed_as_png_is_415(api, make_product):
    created = await make_product()

    response = await upload(api, created["_id"], b"definitely not a picture\n", "x.png")

    assert response.status_code == 415
    assert response.json() == {
        "error": "Unsupported media type",
        "details": {
            "reason": "Only PNG, JPEG and WebP images are accepted",
            "accepted": ["image/jpeg", "image/png", "image/webp"],
        },
    }
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).json()["imageUrls"] == []


async def test_gif_is_415(api, make_product):
    created = await make_product()

    response = await upload(api, created["_id"], b"GIF89a\x01\x00\x01\x00", "x.gif", "image/gif")

    assert response.status_code == 415


async def test_empty_file_is_415(api, make_product):
    created = await make_product()

    response = await upload(api, created["_id"], b"")

    assert response.status_code == 415


async def test_image_of_exactly_5_mb_is_accepted(api, make_product):
    created = await make_product()
    data = tiny_png() + b"\x00" * (FIVE_MB - len(tiny_png()))

    response = await upload(api, created["_id"], data)

    assert response.status_code == 201


async def test_image_one_byte_over_5_mb_is_413(api, backend, make_product):
    created = await make_product()
    data = tiny_png() + b"\x00" * (FIVE_MB + 1 - len(tiny_png()))
    before = set((backend.settings.data_dir / "media").glob("*"))

    response = await upload(api, created["_id"], data)

    assert response.status_code == 413
    assert response.json() == {"error": "Payload too large", "details": {"limitBytes": FIVE_MB}}
    assert set((backend.settings.data_dir / "media").glob("*")) == before
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).json()["imageUrls"] == []


async def test_body_far_over_the_limit_is_413_before_it_is_read(api, make_product):
    created = await make_product()

    response = await upload(api, created["_id"], tiny_png() + b"\x00" * (6 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["error"] == "Payload too large"


async def test_upload_without_a_file_field_is_400(api, make_product):
    created = await make_product()

    response = await api.post(
        f"{PRODUCTS}/{created['_id']}/images", files={"image": ("a.png", tiny_png(), "image/png")}
    )

    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {"file": ["Required"]}


async def test_upload_to_a_product_with_20_images_is_409(api, make_product):
    urls = [f"https://cdn.example.com/{i}.jpg" for i in range(20)]
    created = await make_product(imageUrls=urls)

    response = await upload(api, created["_id"], tiny_png())

    assert response.status_code == 409
    assert response.json() == {
        "error": "Image limit reached",
        "details": {"reason": "A product holds at most 20 images; delete one first", "limit": 20},
    }


async def test_upload_to_unknown_product_is_404(api):
    response = await upload(api, "6650a1b2c3d4e5f6a7b8c9d0", tiny_png())

    assert response.status_code == 404


async def test_upload_ignores_idempotency_key_and_counts_one_write(make_api, make_product):
    free = await make_api(plan="free")
    created = await make_product(via=free)
    headers = {"Idempotency-Key": "upload-0001"}
    files = {"file": ("a.png", tiny_png(), "image/png")}

    first = await free.post(f"{PRODUCTS}/{created['_id']}/images", files=files, headers=headers)
    second = await free.post(f"{PRODUCTS}/{created['_id']}/images", files=files, headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert len(second.json()["imageUrls"]) == 2
    assert second.headers["RateLimit"].startswith('"writes";r=97;')  # create + two uploads


async def test_uploaded_url_survives_a_patch_round_trip(api, make_product):
    created = await make_product()
    uploaded = (await upload(api, created["_id"], tiny_png())).json()

    response = await api.patch(
        f"{PRODUCTS}/{created['_id']}", json={"imageUrls": uploaded["imageUrls"][::-1]}
    )

    assert response.status_code == 200


async def test_delete_image_removes_it_and_its_stored_file(api, client, backend, make_product):
    created = await make_product(imageUrls=["https://cdn.example.com/keep.jpg"])
    url = (await upload(api, created["_id"], tiny_png())).json()["imageUrl"]
    stored = backend.settings.data_dir / "media" / media_name(url)
    assert stored.exists()

    response = await api.delete(f"{PRODUCTS}/{created['_id']}/images/1")

    assert response.status_code == 200
    assert response.json()["imageUrls"] == ["https://cdn.example.com/keep.jpg"]
    assert not stored.exists()
    assert (await client.get(f"/media/{media_name(url)}")).status_code == 404


async def test_delete_external_image_only_drops_the_url(api, make_product):
    created = await make_product(
        imageUrls=["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"]
    )

    response = await api.delete(f"{PRODUCTS}/{created['_id']}/images/0")

    assert response.status_code == 200
    assert response.json()["imageUrls"] == ["https://cdn.example.com/b.jpg"]


@pytest.mark.parametrize("index", [1, 99, -1])
async def test_delete_image_out_of_range_is_404(api, make_product, index):
    created = await make_product(imageUrls=["https://cdn.example.com/a.jpg"])

    response = await api.delete(f"{PRODUCTS}/{created['_id']}/images/{index}")

    assert response.status_code == 404
    assert response.json() == {
        "error": "Not found",
        "details": {"resource": "image", "index": index, "imageCount": 1},
    }


async def test_deleting_a_copied_url_never_deletes_another_products_file(
    api, make_api, backend, make_product, client
):
    owner_product = await make_product()
    url = (await upload(api, owner_product["_id"], tiny_png())).json()["imageUrl"]
    other = await make_api(plan="enterprise")
    copier = await make_product(via=other, imageUrls=[url])

    response = await other.delete(f"{PRODUCTS}/{copier['_id']}/images/0")

    assert response.status_code == 200
    assert (backend.settings.data_dir / "media" / media_name(url)).exists()
    assert (await client.get(f"/media/{media_name(url)}")).status_code == 200


@pytest.mark.parametrize(
    "name",
    ["6650a1b2c3d4e5f6a7b8c9d0.png", "..%2Fsecret.png", "hero.png", "6650a1b2c3d4e5f6a7b8c9d0.gif"],
)
async def test_media_route_is_404_for_unknown_or_foreign_names(client, name):
    response = await client.get(f"/media/{name}")

    assert response.status_code == 404
    assert response.json()["error"] == "Not found"
