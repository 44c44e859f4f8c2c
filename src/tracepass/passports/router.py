"""HTTP layer of /api/v1/passports: parse, call the service, shape the response.

No `from __future__ import annotations` here: the per-prefix route closures need
their annotations evaluated at definition time to capture the local `Ref` type.

Every per-passport route exists twice: by id (`/passports/{id}/…`) and by serial
(`/passports/by-serial/{serial}/…?gtin=`). The by-serial routes are registered
first so a serial is never mistaken for an id.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tracepass.core.asgi import send_bytes
from tracepass.core.auth import AuthContext, current_auth
from tracepass.core.cache import app_cache
from tracepass.core.pagination import PageParams, page_params
from tracepass.core.responses import app_settings
from tracepass.core.responses import json_response as _json
from tracepass.core.routing import AsgiEndpoint, PlainGetRoute
from tracepass.core.schemas import error_responses
from tracepass.db.session import get_session
from tracepass.passports import service
from tracepass.passports.lifecycle import STATUSES
from tracepass.passports.schemas import (
    PARTY_ROLES,
    AuditList,
    BatchCreateInput,
    BatchOut,
    ComplianceOut,
    CreatePassportInput,
    DeletedOut,
    FieldOut,
    FieldUpdateInput,
    PartyInput,
    PartyOut,
    PassportList,
    PassportOut,
    PublishInput,
    ReviewItemOut,
    ReviewList,
    SuspendInput,
)
from tracepass.passports.service import Caller, PassportRef

router = APIRouter(prefix="/api/v1/passports", tags=["passports"])

Session = Annotated[AsyncSession, Depends(get_session)]
StatusFilter = Literal[
    "draft", "in_review", "approved", "published", "suspended", "expired", "archived"
]
assert set(StatusFilter.__args__) == set(STATUSES)  # type: ignore[attr-defined]

LangQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z]{2}([-_][A-Za-z0-9]{2,8})*$",
        max_length=35,
        description="Resolve every field to one value in this locale (e.g. `de`)",
    ),
]
FormatQuery = Annotated[
    Literal["full"] | None,
    Query(description="`full` adds template labels, units and access levels to each field"),
]
GtinQuery = Annotated[
    str | None,
    Query(
        max_length=14,
        description="Disambiguates a serial used under several GTINs (GTIN-8/12/13/14)",
        json_schema_extra={"pattern": "^[0-9]{8,14}$"},
    ),
]
# The service checks the role and answers its own 400; the enum tells clients the choices.
RolePath = Annotated[
    str, Path(description="Economic-operator role", json_schema_extra={"enum": list(PARTY_ROLES)})
]


# Dependencies are `async def`: FastAPI runs a plain `def` one in a worker thread.
async def get_caller(request: Request, auth: AuthContext = Depends(current_auth)) -> Caller:
    return Caller(auth, app_settings(request).public_base)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def by_id(id: Annotated[str, Path(description="Passport ID")]) -> PassportRef:
    return PassportRef(passport_id=id)


async def by_serial(
    serial: Annotated[str, Path(description="Serial number (GS1 AI 21)")], gtin: GtinQuery = None
) -> PassportRef:
    return PassportRef(serial=serial, gtin=service.parse_gtin_query(gtin))


def _lang(lang: str | None) -> str | None:
    return lang.replace("_", "-").split("-")[0].lower() if lang else None


# --- collection routes ---


@router.post(
    "",
    status_code=201,
    response_model=PassportOut,
    summary="Create a passport",
    responses=error_responses(400, 401, 402, 404, 409, 413, 422, 429),
)
async def create_passport(
    body: CreatePassportInput, session: Session, caller: CallerDep
) -> Response:
    return _json(await service.create_passport(session, caller, body), 201)


@router.post(
    "/batch",
    response_model=BatchOut,
    summary="Create up to 100 passports; each item succeeds or fails on its own",
    responses=error_responses(400, 401, 402, 413, 422, 429),
)
async def create_batch(body: BatchCreateInput, session: Session, caller: CallerDep) -> Response:
    result = await service.create_batch(session, caller, body.passports, body.confirm_overage)
    return _json(result)


@router.get(
    "",
    response_model=PassportList,
    summary="List passports",
    responses=error_responses(400, 401, 429),
)
async def list_passports(
    session: Session,
    caller: CallerDep,
    params: Annotated[PageParams, Depends(page_params)],
    product_id: Annotated[
        str | None, Query(alias="productId", json_schema_extra={"pattern": "^[0-9a-f]{24}$"})
    ] = None,
    status: StatusFilter | None = None,
    search: Annotated[str | None, Query(max_length=100, description="GTIN or serial")] = None,
) -> Response:
    result = await service.list_passports(
        session, caller, params, product_id=product_id, status=status, search=search
    )
    return _json(result)


# --- per-passport routes, registered for both addressing forms ---

RefDep = Callable[..., Awaitable[PassportRef]]
_PREFIXES: tuple[tuple[str, RefDep, str], ...] = (
    ("/by-serial/{serial}", by_serial, " (by serial)"),
    ("/{id}", by_id, ""),
)


def _register(prefix: str, ref_dep: RefDep, suffix: str) -> None:
    Ref = Annotated[PassportRef, Depends(ref_dep)]
    op = "by_serial_" if "serial" in prefix else ""

    @router.get(
        prefix,
        response_model=PassportOut,
        summary="Get a passport" + suffix,
        responses=error_responses(400, 401, 404, 409, 429),
        operation_id=f"get_passport_{op}",
    )
    async def get_passport(
        ref: Ref,
        session: Session,
        caller: CallerDep,
        lang: LangQuery = None,
        format: FormatQuery = None,
    ) -> Response:
        result = await service.read_passport(
            session, caller, ref, lang=_lang(lang), full=format == "full"
        )
        return _json(result)

    @router.patch(
        prefix + "/fields/{key}",
        response_model=FieldOut,
        summary="Update one field" + suffix,
        responses=error_responses(400, 401, 404, 409, 413, 422, 429),
        operation_id=f"update_field_{op}",
    )
    async def update_field(
        ref: Ref, key: str, body: FieldUpdateInput, session: Session, caller: CallerDep
    ) -> Response:
        return _json(await service.write_field(session, caller, ref, key, body))

    @router.patch(
        prefix + "/parties/{role}",
        response_model=PartyOut,
        summary="Upsert an economic-operator party" + suffix,
        responses=error_responses(400, 401, 404, 409, 413, 422, 429),
        operation_id=f"upsert_party_{op}",
    )
    async def upsert_party(
        ref: Ref, role: RolePath, body: PartyInput, session: Session, caller: CallerDep
    ) -> Response:
        return _json(await service.upsert_party(session, caller, ref, role, body))

    @router.delete(
        prefix + "/parties/{role}",
        response_model=PartyOut,
        summary="Remove an economic-operator party (idempotent)" + suffix,
        responses=error_responses(400, 401, 404, 409, 422, 429),
        operation_id=f"remove_party_{op}",
    )
    async def remove_party(
        ref: Ref, role: RolePath, session: Session, caller: CallerDep
    ) -> Response:
        return _json(await service.remove_party(session, caller, ref, role))

    @router.get(
        prefix + "/compliance",
        response_model=ComplianceOut,
        summary="Compliance verdict with regulation-cited findings" + suffix,
        responses=error_responses(400, 401, 404, 409, 429),
        operation_id=f"passport_compliance_{op}",
    )
    async def get_compliance(ref: Ref, session: Session, caller: CallerDep) -> Response:
        return _json(await service.compliance(session, caller, ref))

    @router.get(
        prefix + "/audit",
        response_model=AuditList,
        summary="The passport's audit trail, oldest first" + suffix,
        responses=error_responses(400, 401, 404, 409, 429),
        operation_id=f"passport_audit_{op}",
    )
    async def get_audit(
        ref: Ref,
        session: Session,
        caller: CallerDep,
        params: Annotated[PageParams, Depends(page_params)],
    ) -> Response:
        return _json(await service.audit_trail(session, caller, ref, params))

    @router.get(
        prefix + "/review",
        response_model=ReviewList,
        summary="The review queue of proposed field values" + suffix,
        responses=error_responses(400, 401, 404, 409, 429),
        operation_id=f"passport_review_{op}",
    )
    async def get_review(
        ref: Ref,
        session: Session,
        caller: CallerDep,
        params: Annotated[PageParams, Depends(page_params)],
        status: Literal["pending", "approved", "rejected", "superseded", "all"] = "pending",
    ) -> Response:
        wanted = None if status == "all" else status
        return _json(await service.list_review(session, caller, ref, params, wanted))

    for decision in ("approve", "reject"):
        _register_decision(prefix, Ref, decision, suffix, op)

    _register_transitions(prefix, Ref, suffix, op)


def _register_decision(prefix: str, Ref: Any, decision: str, suffix: str, op: str) -> None:
    @router.post(
        prefix + "/review/{key}/" + decision,
        response_model=ReviewItemOut,
        summary=f"{decision.capitalize()} the pending value of a field" + suffix,
        responses=error_responses(400, 401, 404, 409, 422, 429),
        operation_id=f"review_{decision}_{op}",
    )
    async def decide(ref: Ref, key: str, session: Session, caller: CallerDep) -> Response:
        return _json(await service.decide_review(session, caller, ref, key, decision == "approve"))


def _register_transitions(prefix: str, Ref: Any, suffix: str, op: str) -> None:
    errors = error_responses(400, 401, 404, 409, 422, 429)

    def simple(action: str, summary: str) -> None:
        @router.post(
            f"{prefix}/{action}",
            response_model=PassportOut,
            summary=summary + suffix,
            responses=errors,
            operation_id=f"{action}_passport_{op}",
        )
        async def run(ref: Ref, session: Session, caller: CallerDep) -> Response:
            return _json(await service.transition(session, caller, ref, action))

    simple("submit", "Submit for review (draft → in_review)")
    simple("approve", "Approve (in_review → approved)")
    simple("unsuspend", "Lift a suspension (suspended → published)")
    simple("archive", "Archive, irreversibly (any status → archived)")

    @router.post(
        f"{prefix}/publish",
        response_model=PassportOut,
        summary="Publish (draft/approved → published; re-publish a published one)" + suffix,
        responses=errors,
        operation_id=f"publish_passport_{op}",
    )
    async def publish(
        ref: Ref, session: Session, caller: CallerDep, body: PublishInput | None = None
    ) -> Response:
        force = body.force if body is not None else False
        return _json(await service.transition(session, caller, ref, "publish", force=force))

    @router.post(
        f"{prefix}/suspend",
        response_model=PassportOut,
        summary="Suspend (published → suspended)" + suffix,
        responses=errors,
        operation_id=f"suspend_passport_{op}",
    )
    async def suspend(
        ref: Ref, session: Session, caller: CallerDep, body: SuspendInput | None = None
    ) -> Response:
        reason = body.reason if body is not None else None
        return _json(await service.transition(session, caller, ref, "suspend", reason=reason))


for _prefix, _dep, _suffix in _PREFIXES:
    _register(_prefix, _dep, _suffix)


@router.delete(
    "/{id}",
    response_model=DeletedOut,
    summary="Delete a never-published draft/in_review passport (paid plans)",
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def delete_passport(
    ref: Annotated[PassportRef, Depends(by_id)], session: Session, caller: CallerDep
) -> Response:
    return _json(await service.delete_passport(session, caller, ref))


# --- lean twin of `GET /api/v1/passports/{id}` (no lang/format): no dependency
# injection, one raw query, the body cached per unchanged row (service.read_passport_body)


_JSON_HEADERS = ((b"content-type", b"application/json"),)


async def get_passport_plain(scope: Scope, receive: Receive, send: Send) -> None:
    app = scope["app"]
    caller = Caller(scope["state"]["auth"], app.state.settings.public_base)
    cache: service.ReadCache = app_cache(app, "passport_read_cache", service.READ_CACHE_ENTRIES)
    body = await service.read_passport_body(app.state.db, cache, caller, scope["path_params"]["id"])
    headers = [(b"content-length", str(len(body)).encode("latin-1")), *_JSON_HEADERS]
    await send_bytes(send, 200, body, headers)


routes = [PlainGetRoute("/api/v1/passports/{id}", AsgiEndpoint(get_passport_plain))]
