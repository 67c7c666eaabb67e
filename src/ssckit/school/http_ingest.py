"""HTTP ingestion of sensor readings: ``POST /api/v1/school/readings`` (SenML or simple JSON).

Devices (or gateways) authenticate with an API token of a user with the analyst role or above
(``ssckit users token``); each body is validated like an MQTT message: accepted readings are
stored once, malformed or implausible ones go to the quarantine table with their reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ssckit.core.webkit import Principal, get_store, get_workspace, require_role
from ssckit.school.run import load_registry

router = APIRouter(prefix="/school", tags=["school"])
pages = APIRouter(include_in_schema=False)
NAV: list[tuple[str, str, str | None]] = []

#: Largest body accepted in one request [bytes].
MAX_BODY_BYTES = 2 * 1024 * 1024


@router.post("/readings", status_code=202, responses={
    401: {"description": "no credentials"}, 403: {"description": "role too low"},
    404: {"description": "the workspace has no school registry"},
    413: {"description": "body too large"}},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {}}}}})
async def post_readings(request: Request,
                        principal: Annotated[Principal, Depends(require_role("analyst"))]
                        ) -> JSONResponse:
    """Store readings sent as SenML (RFC 8428) or the simple JSON format; returns how many
    were accepted, were duplicates, or went to quarantine (with the reasons)."""
    from ssckit.school.ingest import ingest_body
    from ssckit.school.schema import ensure_tables

    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"larger than {MAX_BODY_BYTES // 2**20} MiB")
    ws = get_workspace(request)
    registry = load_registry(ws)
    if registry is None:
        raise HTTPException(404, "this workspace has no school registry")
    store = get_store(request)

    def work() -> Any:
        ensure_tables(store)
        return ingest_body(store, registry, body)

    res = await run_in_threadpool(work)
    return JSONResponse({"accepted": res.accepted, "duplicates": res.duplicates,
                         "quarantined": res.quarantined, "reasons": dict(res.reasons),
                         "user": principal.user.name}, status_code=202)
