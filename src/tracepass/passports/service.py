"""Passport rules: identity and quotas on create, field and party writes, the review
queue, lifecycle transitions, publishing, deletion. Every change writes its audit
entry (and, for status changes, its outbox event) in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tracepass.catalog.definitions import Template
from tracepass.catalog.service import template_by_id, template_in
from tracepass.catalog.validation import (
    normalise_key,
    unknown_key_message,
    url_problem,
    validate_values,
)
from tracepass.core.auth import AuthContext
from tracepass.core.cache import LruCache
from tracepass.core.errors import ApiError, field_errors_from_pydantic, not_found, validation_error
from tracepass.core.pagination import PageParams, page_envelope, paginate
from tracepass.core.timeutil import iso_z, utcnow
from tracepass.db.engine import Database
from tracepass.db.ids import is_object_id, new_object_id
from tracepass.db.raw import json_value, utc_datetime
from tracepass.passports import gs1, lifecycle
from tracepass.passports import repository as repo
from tracepass.passports.compliance import ComplianceResult, evaluate
from tracepass.passports.countries import ISO_3166_ALPHA2
from tracepass.passports.fields import build_entry
from tracepass.passports.models import Passport, ReviewItem
from tracepass.passports.schemas import (
    PARTY_ROLES,
    REVIEWED_SOURCES,
    CreatePassportInput,
    FieldUpdateInput,
    PartyInput,
)
from tracepass.passports.views import (
    audit_wire,
    build_snapshot,
    list_item_wire,
    passport_wire,
    review_item_wire,
    snapshot_etag,
)
from tracepass.products.models import Product
from tracepass.public.service import save_prerendered

CREATE_ATTEMPTS = 3
SERIAL_TAKEN = "Serial number already exists for this GTIN"
GTIN_TAKEN = "GTIN is registered to another workspace"
SUSPEND_REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Caller:
    auth: AuthContext
    public_base: str

    @property
    def workspace_id(self) -> str:
        return self.auth.workspace_id


@dataclass(frozen=True, slots=True)
class PassportRef:
    """How a route addresses a passport: by id, or by serial (and optionally GTIN)."""

    passport_id: str | None = None
    serial: str | None = None
    gtin: str | None = None


# --- small helpers ---


def _audit_row(
    caller: Caller, passport_id: str, action: str, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "id": new_object_id(),
        "workspace_id": caller.workspace_id,
        "passport_id": passport_id,
        "actor": caller.auth.actor,
        "action": action,
        "changes": changes,
        "created_at": now,
    }


def _outbox_row(
    caller: Caller, event: str, p: Passport, now: datetime, **extra: Any
) -> dict[str, Any]:
    payload = {
        "passportId": p.id,
        "productId": p.product_id,
        "gtin": p.gtin,
        "serialNumber": p.serial,
        "status": p.status,
        "actor": caller.auth.actor,
        "occurredAt": iso_z(now),
        **extra,
    }
    return {
        "id": new_object_id(),
        "workspace_id": caller.workspace_id,
        "type": event,
        "payload": payload,
        "created_at": now,
    }


async def _template(session: AsyncSession, template_id: str) -> Template:
    template = await template_by_id(session, template_id)
    if template is None:  # a pinned template version is never deleted
        raise RuntimeError(f"template version {template_id} is missing")
    return template


def _set_loaded(p: Passport, values: dict[str, Any]) -> None:
    """Reflect a Core UPDATE on the loaded object without marking it dirty."""
    for name, value in values.items():
        set_committed_value(p, name, value)


def _ensure_editable(p: Passport) -> None:
    if p.status not in lifecycle.EDITABLE_STATUSES:
        raise lifecycle.read_only(p.status)


def parse_gtin_query(gtin: str | None) -> str | None:
    if gtin is None:
        return None
    normalised = gs1.normalise_gtin(gtin)
    if normalised is None:
        raise validation_error({"gtin": [gs1.gtin_problem(gtin) or "Invalid GTIN."]})
    return normalised


# --- loading ---


async def load(
    session: AsyncSession, caller: Caller, ref: PassportRef, *, for_update: bool = False
) -> Passport:
    if ref.passport_id is not None:
        if not is_object_id(ref.passport_id):
            raise not_found("passport")
        found = await repo.get_passport(
            session, caller.workspace_id, ref.passport_id, for_update=for_update
        )
        if found is None:
            raise not_found("passport")
        return found
    assert ref.serial is not None
    matches = await repo.find_by_serial(
        session, caller.workspace_id, ref.serial, ref.gtin, for_update=for_update
    )
    if not matches:
        raise not_found("passport")
    if len(matches) > 1:
        gtins = await repo.gtins_for_serial(session, caller.workspace_id, ref.serial)
        raise ApiError(
            409,
            "ambiguous_serial",
            {
                "reason": "This serial number exists under several GTINs; pass `gtin`.",
                "serialNumber": ref.serial,
                "gtins": gtins,
            },
        )
    return matches[0]


async def _product(session: AsyncSession, caller: Caller, product_id: str) -> Product | None:
    return (await repo.products_by_id(session, caller.workspace_id, [product_id])).get(product_id)


# --- reading ---


async def read_passport(
    session: AsyncSession,
    caller: Caller,
    ref: PassportRef,
    *,
    lang: str | None = None,
    full: bool = False,
) -> dict[str, Any]:
    p = await load(session, caller, ref)
    return await render(session, caller, p, lang=lang, full=full)


async def render(
    session: AsyncSession,
    caller: Caller,
    p: Passport,
    *,
    lang: str | None = None,
    full: bool = False,
) -> dict[str, Any]:
    template = await _template(session, p.template_id)
    product = await _product(session, caller, p.product_id)
    pending = await repo.pending_keys(session, caller.workspace_id, p.id)
    return passport_wire(
        p,
        template,
        caller.public_base,
        product=product,
        lang=lang,
        full=full,
        pending_reviews=len(pending),
    )


READ_CACHE_ENTRIES = 4096
# Per worker: passport id -> (the row it was rendered from, the JSON body).
ReadCache = LruCache[str, tuple[tuple[Any, ...], bytes]]
_WIRE_TIMESTAMPS = ("created_at", "updated_at", "published_at", "suspended_at", "archived_at")


async def read_passport_body(
    database: Database, cache: ReadCache, caller: Caller, passport_id: str
) -> bytes:
    """`read_passport` by id without `lang`/`format`, as JSON bytes, from one raw query.

    The row holds everything the body is made of, so a cached body is served
    while the row read now equals the row it was rendered from.
    """
    if not is_object_id(passport_id):
        raise not_found("passport")
    row = await repo.wire_row(database, caller.workspace_id, passport_id)
    if row is None:
        raise not_found("passport")
    cached = cache.get(passport_id)
    if cached is not None and cached[0] == row:
        return cached[1]
    body = orjson.dumps(await _wire_from_row(database, caller, row))
    cache.put(passport_id, (row, body))
    return body


async def _wire_from_row(
    database: Database, caller: Caller, row: tuple[Any, ...]
) -> dict[str, Any]:
    width = len(repo.WIRE_COLUMNS)
    values = dict(zip(repo.WIRE_COLUMNS, row[:width], strict=True))
    values["fields"] = json_value(values["fields"])
    values["parties"] = json_value(values["parties"])
    for column in _WIRE_TIMESTAMPS:
        values[column] = utc_datetime(values[column])
    passport = Passport(**values)
    product_values = row[width : width + len(repo.PRODUCT_REF_COLUMNS)]
    product = (
        Product(**dict(zip(repo.PRODUCT_REF_COLUMNS, product_values, strict=True)))
        if product_values[0] is not None
        else None
    )
    template = await template_in(database, passport.template_id)
    if template is None:
        raise RuntimeError(f"passport pins unknown template {passport.template_id}")
    return passport_wire(
        passport, template, caller.public_base, product=product, pending_reviews=int(row[-1])
    )


async def list_passports(
    session: AsyncSession,
    caller: Caller,
    params: PageParams,
    *,
    product_id: str | None,
    status: str | None,
    search: str | None,
) -> dict[str, Any]:
    if product_id is not None and not is_object_id(product_id):
        raise validation_error({"productId": ["Must be a 24-character hex id."]})
    query = repo.list_query(caller.workspace_id, product_id, status, (search or "").strip())
    rows, total = await paginate(session, query, params)
    items = []
    for p in rows:
        template = await template_by_id(session, p.template_id)
        items.append(list_item_wire(p, template, caller.public_base))
    return page_envelope(items, total, params)


# --- creating ---


@dataclass
class _Prepared:
    index: int
    body: CreatePassportInput
    gtin: str
    parties: dict[str, Any]
    passport_id: str = ""  # drawn once the identity is valid
    product: Product | None = None
    template: Template | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)  # the passport row, once inserted


def party_entry(party: PartyInput, now: datetime) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(stored party, field errors). Keys are camelCase as on the wire."""
    errors: dict[str, list[str]] = {}
    if party.gln is not None and not gs1.is_valid_gln(party.gln):
        errors["gln"] = ["GLN must be 13 digits with a valid GS1 check digit."]
    if party.gln is None and party.legacy_operator_id is None:
        errors["gln"] = ["Set `gln` or `legacyOperatorId`: a party needs an identifier."]
    if party.country is not None and party.country not in ISO_3166_ALPHA2:
        errors["country"] = ["Must be an ISO 3166-1 alpha-2 country code (e.g. `DE`)."]
    if party.url is not None:
        problem = url_problem(party.url)
        if problem is None and not party.url.lower().startswith("https://"):
            problem = "Must be an https:// URL."
        if problem:
            errors["url"] = [problem]
    if not party.legal_name.strip():
        errors["legalName"] = ["Must not be blank."]
    entry = party.model_dump(by_alias=True, exclude_none=True)
    entry["updatedAt"] = iso_z(now)
    return entry, errors


def _check_role(role: str) -> None:
    if role not in PARTY_ROLES:
        raise validation_error(
            {"role": [f"Unknown role `{role}`. Allowed: {', '.join(PARTY_ROLES)}."]}
        )


def _prepare_identity(
    index: int,
    body: CreatePassportInput,
    now: datetime,
    normalise_gtin: Callable[[str], str | None] = gs1.normalise_gtin,
) -> _Prepared:
    errors: dict[str, list[str]] = {}
    gtin = normalise_gtin(body.gs1.gtin)
    if gtin is None:
        errors["gs1.gtin"] = [gs1.gtin_problem(body.gs1.gtin) or "Invalid GTIN."]
    serial_problem = gs1.serial_problem(body.gs1.serial_number)
    if serial_problem:
        errors["gs1.serialNumber"] = [serial_problem]
    if body.gs1.lot is not None and (lot_problem := gs1.lot_problem(body.gs1.lot)):
        errors["gs1.lot"] = [lot_problem]
    parties: dict[str, Any] = {}
    for role, party in (body.parties or {}).items():
        if role not in PARTY_ROLES:
            errors[f"parties.{role}"] = [f"Unknown role. Allowed: {', '.join(PARTY_ROLES)}."]
            continue
        entry, party_errors = party_entry(party, now)
        for name, messages in party_errors.items():
            errors[f"parties.{role}.{name}"] = messages
        parties[role] = entry
    if errors:
        raise validation_error(errors)
    if not is_object_id(body.product_id):
        raise not_found("product")
    assert gtin is not None
    return _Prepared(index, body, gtin, parties)


def _prepare_fields(
    item: _Prepared, template: Template, caller: Caller, now: datetime
) -> dict[str, Any]:
    """The starting field map: the product's defaults, then the item's own values."""
    assert item.product is not None
    stamp = iso_z(now) or ""
    locale = caller.auth.default_source_locale
    defaults, _ = validate_values(template, item.product.default_field_values or {})
    given, errors = validate_values(template, item.body.field_values or {})
    if errors:
        raise validation_error({f"fieldValues.{k}": v for k, v in errors.items()})
    entries: dict[str, Any] = {}
    for values, source in ((defaults, "system"), (given, "manual")):
        for key, value in values.items():
            entry, messages = build_entry(
                template.field_by_key[key],
                value,
                source=source,
                source_locale=locale,
                translations=None,
                updated_at=stamp,
            )
            if messages:
                raise validation_error({f"fieldValues.{key}": messages})
            if entry is None:
                entries.pop(key, None)
            else:
                entries[key] = entry
    return entries


def _quota_error(caller: Caller, live: int, requested: int) -> ApiError:
    plan = caller.auth.plan
    return ApiError(
        402,
        "overage_required",
        {
            "reason": "This would exceed the plan's DPP quota."
            + (
                " Retry with `confirmOverage: true` to accept the overage charge."
                if plan.overage_allowed
                else " The plan does not allow overage; upgrade or archive passports."
            ),
            "plan": plan.name,
            "maxDpps": plan.max_dpps,
            "livePassports": live,
            "requested": requested,
            "overage": live + requested - (plan.max_dpps or 0),
            "overageAllowed": plan.overage_allowed,
        },
    )


async def _check_quota(
    session: AsyncSession, caller: Caller, requested: int, confirm_overage: bool
) -> None:
    plan = caller.auth.plan
    if plan.max_dpps is None or requested == 0:
        return
    await repo.lock_workspace(session, caller.workspace_id)
    live = await repo.count_live(session, caller.workspace_id)
    if live + requested <= plan.max_dpps:
        return
    if confirm_overage and plan.overage_allowed:
        return
    raise _quota_error(caller, live, requested)


def _passport_row(item: _Prepared, caller: Caller, now: datetime) -> dict[str, Any]:
    assert item.product is not None
    return {
        "id": item.passport_id,
        "workspace_id": caller.workspace_id,
        "product_id": item.product.id,
        "template_id": item.product.template_id,
        "gtin": item.gtin,
        "serial": item.body.gs1.serial_number,
        "lot": item.body.gs1.lot,
        "status": lifecycle.DRAFT,
        "fields": item.fields,
        "parties": item.parties,
        "revision": 1,
        "published_revision": None,
        "published_snapshot": None,
        "published_etag": None,
        "suspend_reason": None,
        "created_at": now,
        "updated_at": now,
        "published_at": None,
        "suspended_at": None,
        "archived_at": None,
    }


Outcome = dict[str, Any] | ApiError
Planned = _Prepared | ApiError  # an item's fate, before the created ones are rendered


def _prepare_identities(
    bodies: Sequence[CreatePassportInput | ApiError], planned: list[Planned | None], now: datetime
) -> list[_Prepared]:
    prepared: list[_Prepared] = []
    normalise_gtin = functools.cache(gs1.normalise_gtin)  # a batch mostly repeats its GTINs
    for index, body in enumerate(bodies):
        if isinstance(body, ApiError):
            planned[index] = body
            continue
        try:
            item = _prepare_identity(index, body, now, normalise_gtin)
        except ApiError as exc:
            planned[index] = exc
            continue
        item.passport_id = new_object_id()
        prepared.append(item)
    return prepared


class _FieldMaps:
    """Starting field maps of one request, built once per product and value map.

    Items of a batch mostly share both, and the map is a pure function of them (and
    of the request's caller and time), so equal items share one map object. Only
    successes are kept: an invalid item is validated on its own, as if alone.
    """

    def __init__(self, caller: Caller, now: datetime) -> None:
        self._caller = caller
        self._now = now
        self._maps: dict[tuple[str, str], dict[str, Any]] = {}

    def for_item(self, item: _Prepared, template: Template) -> dict[str, Any]:
        assert item.product is not None
        # repr tells apart what JSON equality would merge (1 / 1.0 / true, NaN / null).
        key = (item.product.id, repr(item.body.field_values))
        entries = self._maps.get(key)
        if entries is None:
            entries = _prepare_fields(item, template, self._caller, self._now)
            self._maps[key] = entries
        return entries


async def _attach_products(
    session: AsyncSession,
    caller: Caller,
    prepared: list[_Prepared],
    planned: list[Planned | None],
    now: datetime,
) -> list[_Prepared]:
    """Items whose product exists and is active, with their template and field map."""
    products = await repo.products_by_id(
        session, caller.workspace_id, (i.body.product_id for i in prepared), for_update=True
    )
    templates: dict[str, Template] = {}
    field_maps = _FieldMaps(caller, now)
    ready: list[_Prepared] = []
    for item in prepared:
        product = products.get(item.body.product_id)
        if product is None:
            planned[item.index] = not_found("product")
            continue
        if product.status != "active":
            planned[item.index] = ApiError(409, "Product is archived", {"productId": product.id})
            continue
        template = templates.get(product.template_id)
        if template is None:
            template = templates[product.template_id] = await _template(
                session, product.template_id
            )
        item.product, item.template = product, template
        try:
            item.fields = field_maps.for_item(item, template)
        except ApiError as exc:
            planned[item.index] = exc
            continue
        ready.append(item)
    return ready


async def _claim_identities(
    session: AsyncSession,
    caller: Caller,
    ready: list[_Prepared],
    planned: list[Planned | None],
    now: datetime,
) -> list[_Prepared]:
    """Items whose GTIN the workspace owns and whose serial is free (first in the batch wins)."""
    owners = await repo.claim_gtins(session, caller.workspace_id, (i.gtin for i in ready), now)
    taken = await repo.existing_serials(
        session, (i.gtin for i in ready), (i.body.gs1.serial_number for i in ready)
    )
    creatable: list[_Prepared] = []
    for item in ready:
        key = (item.gtin, item.body.gs1.serial_number)
        if owners.get(item.gtin) != caller.workspace_id:
            planned[item.index] = ApiError(409, GTIN_TAKEN, {"gtin": item.gtin})
        elif key in taken:
            planned[item.index] = ApiError(
                409, SERIAL_TAKEN, {"gtin": key[0], "serialNumber": key[1]}
            )
        else:
            taken.add(key)  # a later item of the same batch with this serial fails
            creatable.append(item)
    return creatable


def _created_audit_row(caller: Caller, item: _Prepared, now: datetime) -> dict[str, Any]:
    changes = {
        "status": {"old": None, "new": lifecycle.DRAFT},
        "gtin": item.gtin,
        "serialNumber": item.body.gs1.serial_number,
    }
    return _audit_row(caller, item.passport_id, "passport.created", changes, now)


def _created_outbox_row(
    caller: Caller, item: _Prepared, now: datetime, occurred_at: str | None
) -> dict[str, Any]:
    """`_outbox_row(caller, "passport.created", passport, now)` of the passport to be."""
    payload = {
        "passportId": item.passport_id,
        "productId": item.body.product_id,
        "gtin": item.gtin,
        "serialNumber": item.body.gs1.serial_number,
        "status": lifecycle.DRAFT,
        "actor": caller.auth.actor,
        "occurredAt": occurred_at,
    }
    return {
        "id": new_object_id(),
        "workspace_id": caller.workspace_id,
        "type": "passport.created",
        "payload": payload,
        "created_at": now,
    }


class _Journal:
    """The audit entry and outbox event of every item that may be created, built and
    encoded before the transaction (on SQLite every writer waits while one is open);
    only the created items' rows are inserted."""

    def __init__(
        self, session: AsyncSession, caller: Caller, items: list[_Prepared], now: datetime
    ) -> None:
        dialect = repo.dialect_of(session)
        occurred_at = iso_z(now)
        self._slots = {item.index: slot for slot, item in enumerate(items)}
        audit = [_created_audit_row(caller, item, now) for item in items]
        outbox = [_created_outbox_row(caller, item, now, occurred_at) for item in items]
        self._audit = repo.encode_audit(dialect, audit)
        self._outbox = repo.encode_outbox(dialect, outbox)

    def parts(self, created: list[_Prepared]) -> list[repo.InsertPart]:
        slots = [self._slots[item.index] for item in created]
        return [(self._audit, slots), (self._outbox, slots)]


async def _insert_created(
    session: AsyncSession,
    caller: Caller,
    creatable: list[_Prepared],
    now: datetime,
    journal: _Journal,
) -> None:
    """Passports, their audit entries and outbox events (bulk inserts), product counts."""
    rows = []
    per_product: dict[str, int] = {}
    for item in creatable:
        item.row = _passport_row(item, caller, now)
        rows.append(item.row)
        per_product[item.row["product_id"]] = per_product.get(item.row["product_id"], 0) + 1
    passports = repo.encode_passports(repo.dialect_of(session), rows)
    await repo.insert_encoded_together(session, [(passports, None), *journal.parts(creatable)])
    for product_id, count in per_product.items():
        await repo.add_to_passport_count(session, caller.workspace_id, product_id, count)


async def _create_all(
    session: AsyncSession,
    caller: Caller,
    bodies: Sequence[CreatePassportInput | ApiError],
    confirm_overage: bool,
) -> list[Planned]:
    """Create every valid item in one transaction (bulk inserts, a handful of queries)."""
    now = utcnow()
    planned: list[Planned | None] = [None] * len(bodies)
    prepared = _prepare_identities(bodies, planned, now)
    journal = _Journal(session, caller, prepared, now)  # before the first statement
    ready = await _attach_products(session, caller, prepared, planned, now)
    creatable = await _claim_identities(session, caller, ready, planned, now)
    confirmed = confirm_overage or (
        bool(creatable) and all(i.body.confirm_overage for i in creatable)
    )
    await _check_quota(session, caller, len(creatable), confirmed)
    await _insert_created(session, caller, creatable, now, journal)
    for item in creatable:
        planned[item.index] = item
    return [p if p is not None else ApiError(500, "Internal server error") for p in planned]


def _gs1_of_row(row: dict[str, Any], public_base: str) -> dict[str, Any]:
    """`views.gs1_wire` of the passport the row inserted."""
    return {
        "gtin": row["gtin"],
        "serialNumber": row["serial"],
        "lot": row["lot"],
        "digitalLinkUri": gs1.digital_link_uri(public_base, row["gtin"], row["serial"]),
    }


def _render_created(caller: Caller, planned: list[Planned]) -> list[Outcome]:
    """`passport_wire` of each created passport, rendered once per product and field map.

    Created passports of one product and field map differ only in id, GS1 identity
    and parties: the rest of one rendering serves them all.
    """
    shapes: dict[tuple[str, int], dict[str, Any]] = {}
    outcomes: list[Outcome] = []
    for item in planned:
        if isinstance(item, ApiError):
            outcomes.append(item)
            continue
        row = item.row
        shape_key = (row["product_id"], id(item.fields))
        shape = shapes.get(shape_key)
        if shape is None:
            shape = shapes[shape_key] = passport_wire(
                Passport(**row), item.template, caller.public_base, product=item.product
            )
        outcomes.append(
            {
                **shape,
                "_id": row["id"],
                "gs1": _gs1_of_row(row, caller.public_base),
                "parties": dict(row["parties"]),
            }
        )
    return outcomes


async def _create_with_retry(
    session: AsyncSession,
    caller: Caller,
    bodies: Sequence[CreatePassportInput | ApiError],
    confirm_overage: bool,
) -> list[Outcome]:
    # A concurrent writer can take a serial between our check and our insert
    # (PostgreSQL); the unique constraint catches it and a rerun reports it per item.
    for _attempt in range(CREATE_ATTEMPTS):
        try:
            planned = await _create_all(session, caller, bodies, confirm_overage)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            continue
        # Rendered after COMMIT: on SQLite every writer waits while a transaction is open.
        return _render_created(caller, planned)
    raise ApiError(409, "Conflict", {"reason": "Concurrent writes to the same serials; retry."})


async def create_passport(
    session: AsyncSession, caller: Caller, body: CreatePassportInput
) -> dict[str, Any]:
    [outcome] = await _create_with_retry(session, caller, [body], body.confirm_overage)
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


def parse_batch_item(raw: Any) -> CreatePassportInput | ApiError:
    try:
        return CreatePassportInput.model_validate(raw)
    except ValidationError as exc:
        return validation_error(field_errors_from_pydantic(exc.errors()))


_BATCH_ITEMS = TypeAdapter(list[CreatePassportInput])


def parse_batch_items(items: Sequence[Any]) -> list[CreatePassportInput | ApiError]:
    """Every item validated on its own; in one call when all are valid (the usual case)."""
    try:
        return list(_BATCH_ITEMS.validate_python(items))
    except ValidationError:
        return [parse_batch_item(raw) for raw in items]


async def create_batch(
    session: AsyncSession, caller: Caller, items: Sequence[Any], confirm_overage: bool
) -> dict[str, Any]:
    bodies = parse_batch_items(items)
    outcomes = await _create_with_retry(session, caller, bodies, confirm_overage)
    results: list[dict[str, Any]] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, ApiError):
            result: dict[str, Any] = {
                "index": index,
                "status": "error",
                "statusCode": outcome.status_code,
                "error": outcome.error,
            }
            if outcome.details is not None:
                result["details"] = outcome.details
            results.append(result)
        else:
            results.append({"index": index, "status": "created", "data": outcome})
    created = sum(1 for r in results if r["status"] == "created")
    return {"results": results, "created": created, "failed": len(results) - created}


# --- fields and the review queue ---


def _field_key(template: Template, raw_key: str) -> str:
    key = normalise_key(template, raw_key)
    if key is None:
        raise validation_error({raw_key: [unknown_key_message(template, raw_key)]})
    return key


def _audit_value(entry: dict[str, Any] | None) -> Any:
    if entry is None:
        return None
    if entry.get("translations"):
        return {"value": entry.get("value"), "translations": entry["translations"]}
    return entry.get("value")


def _replace_entry(
    entries: dict[str, Any] | None, key: str, entry: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A copy of a JSON map with `key` set to `entry` (or removed), and the old entry."""
    replaced = dict(entries or {})
    old = replaced.get(key)
    if entry is None:
        replaced.pop(key, None)
    else:
        replaced[key] = entry
    return replaced, old


async def _record_change(
    session: AsyncSession,
    caller: Caller,
    p: Passport,
    action: str,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    """Every content change bumps the revision and leaves one audit entry."""
    p.revision = p.revision + 1
    p.updated_at = now
    await repo.insert_audit(session, [_audit_row(caller, p.id, action, changes, now)])


async def _apply_field(
    session: AsyncSession,
    caller: Caller,
    p: Passport,
    key: str,
    entry: dict[str, Any] | None,
    action: str,
    now: datetime,
    extra_changes: dict[str, Any] | None = None,
) -> None:
    p.fields, old = _replace_entry(p.fields, key, entry)
    changes = {key: {"old": _audit_value(old), "new": _audit_value(entry)}, **(extra_changes or {})}
    await _record_change(session, caller, p, action, changes, now)


def _field_response(
    p: Passport, key: str, status: str, entry: dict[str, Any] | None, source: str, now: datetime
) -> dict[str, Any]:
    return {
        "passportId": p.id,
        "key": key,
        "status": status,
        "value": entry.get("value") if entry else None,
        "source": source,
        "sourceLocale": entry.get("sourceLocale") if entry else None,
        "translations": dict(entry.get("translations") or {}) if entry else {},
        "revision": p.revision,
        "updatedAt": iso_z(now),
    }


async def write_field(
    session: AsyncSession, caller: Caller, ref: PassportRef, raw_key: str, body: FieldUpdateInput
) -> dict[str, Any]:
    p = await load(session, caller, ref, for_update=True)
    _ensure_editable(p)
    template = await _template(session, p.template_id)
    key = _field_key(template, raw_key)
    now = utcnow()
    entry, messages = build_entry(
        template.field_by_key[key],
        body.value,
        source=body.source,
        source_locale=body.source_locale or caller.auth.default_source_locale,
        translations=body.translations,
        updated_at=iso_z(now) or "",
    )
    if messages:
        raise validation_error({key: messages})
    if body.source in REVIEWED_SOURCES:
        return await _propose(session, caller, p, key, entry, body, now)
    await _apply_field(session, caller, p, key, entry, "field.updated", now)
    await session.commit()
    return _field_response(p, key, "approved", entry, body.source, now)


async def _propose(
    session: AsyncSession,
    caller: Caller,
    p: Passport,
    key: str,
    entry: dict[str, Any] | None,
    body: FieldUpdateInput,
    now: datetime,
) -> dict[str, Any]:
    await repo.supersede_pending(session, caller.workspace_id, p.id, key, now)
    item = ReviewItem(
        id=new_object_id(),
        workspace_id=caller.workspace_id,
        passport_id=p.id,
        key=key,
        value=entry.get("value") if entry else None,
        source=body.source,
        source_locale=entry["sourceLocale"] if entry else (body.source_locale or "en"),
        translations=entry["translations"] if entry else {},
        status="pending",
        actor=caller.auth.actor,
        created_at=now,
    )
    session.add(item)
    current = (p.fields or {}).get(key)
    changes = {
        key: {"old": _audit_value(current), "new": _audit_value(entry)},
        "source": body.source,
        "reviewItemId": item.id,
    }
    await repo.insert_audit(session, [_audit_row(caller, p.id, "field.proposed", changes, now)])
    await session.commit()
    response = _field_response(p, key, "pending_review", entry, body.source, now)
    response["reviewItemId"] = item.id
    return response


async def list_review(
    session: AsyncSession, caller: Caller, ref: PassportRef, params: PageParams, status: str | None
) -> dict[str, Any]:
    p = await load(session, caller, ref)
    rows, total = await paginate(
        session, repo.review_query(caller.workspace_id, p.id, status), params
    )
    return page_envelope([review_item_wire(r) for r in rows], total, params)


async def decide_review(
    session: AsyncSession, caller: Caller, ref: PassportRef, raw_key: str, approve: bool
) -> dict[str, Any]:
    p = await load(session, caller, ref, for_update=True)
    _ensure_editable(p)
    template = await _template(session, p.template_id)
    key = normalise_key(template, raw_key) or raw_key
    item = await repo.pending_review_item(session, caller.workspace_id, p.id, key)
    if item is None:
        raise not_found("review item")
    now = utcnow()
    item.status = "approved" if approve else "rejected"
    item.decided_at = now
    item.decided_by = caller.auth.actor
    decision = {"reviewItemId": item.id, "source": item.source}
    if approve:
        source = "ai_approved" if item.source == "ai_suggested" else item.source
        entry = None
        if item.value is not None:
            entry = {
                "value": item.value,
                "sourceLocale": item.source_locale,
                "translations": dict(item.translations or {}),
                "source": source,
                "updatedAt": iso_z(now),
            }
        await _apply_field(session, caller, p, key, entry, "review.approved", now, decision)
    else:
        changes = {key: {"rejected": item.value}, **decision}
        await repo.insert_audit(
            session, [_audit_row(caller, p.id, "review.rejected", changes, now)]
        )
    await session.commit()
    return review_item_wire(item)


# --- parties ---


async def upsert_party(
    session: AsyncSession, caller: Caller, ref: PassportRef, role: str, body: PartyInput
) -> dict[str, Any]:
    _check_role(role)
    now = utcnow()
    entry, errors = party_entry(body, now)
    if errors:
        raise validation_error(errors)
    p = await load(session, caller, ref, for_update=True)
    _ensure_editable(p)
    await _write_party(session, caller, p, role, entry, "party.upserted", now)
    await session.commit()
    return _party_response(p, role, entry, now)


async def remove_party(
    session: AsyncSession, caller: Caller, ref: PassportRef, role: str
) -> dict[str, Any]:
    _check_role(role)
    p = await load(session, caller, ref, for_update=True)
    now = utcnow()
    if role in (p.parties or {}):
        _ensure_editable(p)
        await _write_party(session, caller, p, role, None, "party.removed", now)
        await session.commit()
    return _party_response(p, role, None, p.updated_at)


async def _write_party(
    session: AsyncSession,
    caller: Caller,
    p: Passport,
    role: str,
    entry: dict[str, Any] | None,
    action: str,
    now: datetime,
) -> None:
    p.parties, old = _replace_entry(p.parties, role, entry)
    changes = {f"parties.{role}": {"old": old, "new": entry}}
    await _record_change(session, caller, p, action, changes, now)


def _party_response(
    p: Passport, role: str, entry: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    return {
        "passportId": p.id,
        "role": role,
        "party": entry,
        "revision": p.revision,
        "updatedAt": iso_z(now),
    }


# --- compliance ---


async def _evaluate(
    session: AsyncSession, caller: Caller, p: Passport
) -> tuple[Template, ComplianceResult]:
    template = await _template(session, p.template_id)
    pending = await repo.pending_keys(session, caller.workspace_id, p.id)
    return template, evaluate(template, p.fields or {}, p.parties or {}, pending)


async def compliance(session: AsyncSession, caller: Caller, ref: PassportRef) -> dict[str, Any]:
    p = await load(session, caller, ref)
    template, result = await _evaluate(session, caller, p)
    return {
        "passportId": p.id,
        "verdict": result.verdict,
        "category": template.category.slug,
        "subcategory": result.subcategory,
        "conditionalCoverage": result.coverage,
        "templateId": template.template_id,
        "templateVersion": template.version,
        "completionPercentage": result.score,
        "counts": result.counts(),
        "findings": result.findings,
        "checkedAt": iso_z(utcnow()),
    }


# --- lifecycle ---


async def _publish_values(
    session: AsyncSession, caller: Caller, p: Passport, force: bool, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    template, result = await _evaluate(session, caller, p)
    if result.critical and not force:
        raise ApiError(
            409,
            "Passport has critical compliance findings",
            {
                "reason": "Fix the critical findings, or publish with `force: true`.",
                "currentStatus": p.status,
                "verdict": result.verdict,
                "findings": result.critical,
            },
        )
    product = await _product(session, caller, p.product_id)
    if product is None:  # cannot happen: products with passports are never deleted
        raise not_found("product")
    snapshot = build_snapshot(p, template, product, caller.auth, caller.public_base, iso_z(now))
    etag = snapshot_etag(snapshot)
    await save_prerendered(session, p.id, snapshot, etag, template, caller.public_base)
    values = {
        "published_snapshot": snapshot,
        "published_etag": etag,
        "published_revision": p.revision,
        "published_at": now,
        "suspend_reason": None,
    }
    audit = {"forced": bool(force and result.critical), "verdict": result.verdict}
    return values, audit


async def transition(
    session: AsyncSession,
    caller: Caller,
    ref: PassportRef,
    action: str,
    *,
    reason: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    p = await load(session, caller, ref, for_update=True)
    step = lifecycle.check_transition(action, p.status)
    now = utcnow()
    values: dict[str, Any] = {"status": step.target, "updated_at": now}
    extra: dict[str, Any] = {}
    if action == "publish":
        publish_values, extra = await _publish_values(session, caller, p, force, now)
        values.update(publish_values)
    elif action == "suspend":
        trimmed = reason[:SUSPEND_REASON_LIMIT] if reason else None
        values.update(suspend_reason=trimmed, suspended_at=now)
        extra = {"reason": trimmed}
    elif action == "unsuspend":
        values["suspend_reason"] = None
    elif action == "archive":
        values["archived_at"] = now
    previous = p.status
    # Conditional on the status we checked: of two racing transitions only one matches.
    if not await repo.set_status(session, caller.workspace_id, p.id, previous, values):
        await session.rollback()
        current = await load(session, caller, ref)
        raise lifecycle.illegal_transition(action, current.status)
    _set_loaded(p, values)
    changes = {"status": {"old": previous, "new": step.target}, **extra}
    await repo.insert_audit(session, [_audit_row(caller, p.id, f"status.{action}", changes, now)])
    await repo.insert_outbox(
        session,
        [
            _outbox_row(
                caller, step.event, p, now, previousStatus=previous, revision=p.revision, **extra
            )
        ],
    )
    await session.commit()
    return await render(session, caller, p)


async def delete_passport(
    session: AsyncSession, caller: Caller, ref: PassportRef
) -> dict[str, Any]:
    p = await load(session, caller, ref, for_update=True)
    if not caller.auth.plan.paid:
        raise ApiError(
            403,
            "Forbidden",
            {
                "reason": "Deleting passports is a paid-plan feature; archive it instead.",
                "plan": caller.auth.plan.name,
            },
        )
    if p.status not in lifecycle.DELETABLE_STATUSES or p.published_at is not None:
        raise ApiError(
            409,
            "Passport cannot be deleted",
            {
                "reason": "Only never-published passports in `draft` or `in_review` can be "
                "deleted; archive it instead.",
                "currentStatus": p.status,
            },
        )
    deleted = await repo.delete_unpublished(
        session, caller.workspace_id, p.id, lifecycle.DELETABLE_STATUSES
    )
    if not deleted:
        await session.rollback()
        raise ApiError(409, "Passport cannot be deleted", {"reason": "It changed concurrently."})
    await repo.add_to_passport_count(session, caller.workspace_id, p.product_id, -1)
    await session.commit()
    return {"_id": p.id, "deleted": True}


# --- audit trail ---


async def audit_trail(
    session: AsyncSession, caller: Caller, ref: PassportRef, params: PageParams
) -> dict[str, Any]:
    p = await load(session, caller, ref)
    rows, total = await paginate(session, repo.audit_query(caller.workspace_id, p.id), params)
    return page_envelope([audit_wire(r) for r in rows], total, params)
