"""The web app factory: the shell (home, login, account, users, indicator API) and every
module's routers, pages, templates and static files, taken from the modules' faces
(:mod:`ssckit.core.modules`); this package names no module.

A module's ``web`` entries expose ``router`` (its JSON API, mounted under ``/api/v1``),
``pages`` (its HTML pages) and optionally ``NAV`` (``(label, path, role or None)`` entries of
the main navigation); its ``home`` panel is shown on the home page.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import plotly
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from ssckit import __version__
from ssckit.core import auth, i18n
from ssckit.core.errors import InputError
from ssckit.core.modules import faces, load_ref, unavailable
from ssckit.core.store import Store
from ssckit.core.webkit import (
    API_PREFIX,
    LOGIN_CSRF_COOKIE,
    PLOTLY_JS_PATH,
    SAFE_METHODS,
    SESSION_COOKIE,
    Answer,
    Principal,
    check_csrf,
    client_address,
    delete_cookie,
    format_number,
    get_store,
    render,
    require_role,
    safe_next,
    set_cookie,
)
from ssckit.core.workspace import Workspace
from ssckit.web.cache import StoreScope, VersionCache, workspace_version
from ssckit.web.language import LanguageMiddleware
from ssckit.web.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
LEAFLET_DIR = Path("/usr/share/javascript/leaflet")


def _templates() -> Jinja2Templates:
    """The shell's templates first, then each module's (``<module>/...`` by convention), with
    Jinja2's i18n extension (``{% trans %}``, ``_()``) speaking the language in force
    (:mod:`ssckit.core.i18n`) and filters writing numbers and dates in it."""
    folders = [TEMPLATES_DIR, *filter(None, (f.folder(f.templates) for f in faces()))]
    templates = Jinja2Templates(directory=folders)
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.template_gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext)
    env.policies["ext.i18n.trimmed"] = True
    env.filters["num"] = format_number
    env.filters["pct"] = _pct
    env.filters["fixed"] = i18n.format_fixed
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = lambda v: i18n.format_date(v, with_time=True)
    return templates


def _pct(ratio: float | None) -> str:
    """Share of a target reached, as a whole percentage."""
    if ratio is None:
        return ""
    if ratio == float("inf"):
        return i18n.gettext("target met")
    return i18n.format_percent(ratio)


@functools.cache
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


# -- the shell's own routes: home, login, account, users, indicator API -----------------------
api = APIRouter(prefix=API_PREFIX)
shell = APIRouter(include_in_schema=False)


class Indicator(Answer):
    """One stored indicator value with its provenance."""

    indicator: str = Field(description="Catalogue id, e.g. a U4SSC KPI code")
    entity: str = Field(description="city, district:<name>, school:<id>, site:<id>, ...")
    period: str = Field(description="YYYY, YYYY-MM or YYYY-MM-DD")
    value: float = Field(description="In `unit`")
    unit: str
    breakdown: dict[str, str | int | float | bool | None] = Field(
        description="Population group or other breakdown, e.g. {\"sex\": \"F\"}")
    source: dict[str, Any] = Field(description="Module, inputs and version that produced it")
    quality: str = Field(description="Data quality grade A-E")
    computed_at: datetime = Field(description="When it was computed (UTC)")


@api.get("/indicators", tags=["indicators"], response_model=list[Indicator])
def api_indicators(
    request: Request,
    indicator: str | None = None,
    entity: str | None = None,
    period: str | None = None,
    breakdown: Annotated[list[str], Query(
        description="`key:value`, repeatable; every one must match")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[dict[str, Any]]:
    """Indicator values matching every given filter, as stored (any module, any entity)."""
    parsed: dict[str, str] = {}
    for item in breakdown:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise HTTPException(422, f"breakdown {item!r} is not key:value (e.g. sex:F)")
        parsed[key] = value
    values = get_store(request).query_values(
        indicator=indicator, entity=entity, period=period, breakdown=parsed or None, limit=limit)
    return [v.to_dict() for v in values]


@shell.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The city at a glance: every module's home panel and the list of modules."""
    counts = get_store(request).count_values_by_module()
    modules = [{"title": f.title, "summary": f.summary, "href": _first_link(request, f.name),
                "n_values": counts.get(f.name, 0)} for f in faces()]
    panels = [load_ref(f.home)(request) for f in faces() if f.home]
    return render(request, "home.html", {"modules": modules, "panels": panels,
                                         "unavailable": unavailable()})


def _first_link(request: Request, module: str) -> str | None:
    for label, path, role in request.app.state.nav_by_module.get(module, []):
        del label
        if role is None:
            return path
    return None


@shell.get(PLOTLY_JS_PATH)
def plotly_js(request: Request) -> Response:
    etag = f'"plotly-{plotly.__version__}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(_plotly_js(), media_type="text/javascript; charset=utf-8", headers=headers)


@shell.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next)})


@shell.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    target = safe_next(next)
    try:
        user = auth.authenticate(get_store(request), username, password, client_address(request))
    except auth.RateLimited as exc:
        return render(request, "login.html", {
            "next": target, "username": username,
            "error": i18n.gettext("Too many failed logins for this user from your address. Try "
                                  "again in {minutes} minutes.").format(
                minutes=exc.retry_after // 60 + 1),
        }, status_code=429, headers={"Retry-After": str(exc.retry_after)})
    if user is None:
        return render(request, "login.html", {
            "next": target, "username": username,
            "error": i18n.gettext("Wrong user name or password."),
        }, status_code=401)
    token, _ = auth.create_session(get_store(request), user)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token,
               max_age=int(auth.SESSION_LIFETIME.total_seconds()))
    delete_cookie(request, response, LOGIN_CSRF_COOKIE)
    return response


@shell.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    if token := request.cookies.get(SESSION_COOKIE):
        auth.end_session(get_store(request), token)
    response = RedirectResponse("/", status_code=303)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


@shell.get("/account", response_class=HTMLResponse)
def account(request: Request,
            principal: Annotated[Principal, Depends(require_role("viewer"))]) -> HTMLResponse:
    return render(request, "account.html", {
        "tokens": auth.list_api_tokens(get_store(request), principal.user.name),
        "role_help": auth.ROLE_HELP,
    })


@shell.post("/account/tokens", response_class=HTMLResponse)
def account_new_token(
    request: Request,
    principal: Annotated[Principal, Depends(require_role("viewer"))],
    csrf_token: Annotated[str, Form()] = "",
    label: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    store = get_store(request)
    token = auth.create_api_token(store, principal.user.name, label.strip())
    return render(request, "account.html", {
        "tokens": auth.list_api_tokens(store, principal.user.name),
        "role_help": auth.ROLE_HELP, "new_token": token,
    })


def _users_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "users.html", {
        "users": auth.list_users(get_store(request)), "roles": auth.ROLES,
        "role_help": auth.ROLE_HELP, "min_password": auth.MIN_PASSWORD_LENGTH, **context,
    }, status_code=status_code)


@shell.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request,
               _: Annotated[Principal, Depends(require_role("admin"))]) -> HTMLResponse:
    return _users_page(request)


@shell.post("/admin/users", response_class=HTMLResponse)
def users_add(
    request: Request,
    _: Annotated[Principal, Depends(require_role("admin"))],
    csrf_token: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    try:
        auth.add_user(get_store(request), username.strip(), role, password)
    except InputError as exc:
        return _users_page(request, 422, error=f"{exc.source}: {exc.message}")
    return _users_page(request, message=i18n.gettext("User {name} ({role}) added.").format(
        name=username.strip(), role=i18n.gettext(role)))


@shell.post("/admin/users/remove", response_class=HTMLResponse)
def users_remove(
    request: Request,
    principal: Annotated[Principal, Depends(require_role("admin"))],
    csrf_token: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    if username == principal.user.name:
        return _users_page(request, 422, error=i18n.gettext("You cannot remove yourself."))
    try:
        auth.remove_user(get_store(request), username)
    except InputError as exc:
        return _users_page(request, 422, error=f"{exc.source}: {exc.message}")
    return _users_page(request, message=i18n.gettext("User {name} removed.").format(name=username))


# -- errors -----------------------------------------------------------------------------------
def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith((API_PREFIX, "/openapi"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _wants_html(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401 and request.method in SAFE_METHODS:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                  status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _wants_html(request):
        return await request_validation_exception_handler(request, exc)
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
    return render(request, "error.html", {"status": 422, "detail": detail}, status_code=422)


async def _input_error(request: Request, exc: Exception) -> Response:
    """A store busy past the wait, or a workspace setting that does not validate: 503 with the
    one line (and ``Retry-After``), logged as one line, never a traceback."""
    assert isinstance(exc, InputError)
    import logging

    logging.getLogger("ssckit.web").warning("%s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": "10"}
    if not _wants_html(request):
        return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)
    request.state.principal = None    # the page must not ask the busy store who is logged in
    return render(request, "error.html", {"status": 503, "detail": str(exc)}, status_code=503,
                  headers=headers)


# -- the factory ------------------------------------------------------------------------------
def create_app(workspace_dir: Path, cache: bool = True) -> FastAPI:
    """The web app of the city workspace at ``workspace_dir``.

    The app keeps no connection to the store: each request opens it when it first needs it
    and closes it when answered (:mod:`ssckit.core.store`), so CLI commands and other
    processes take turns with it. Anonymous GET answers are cached per store version
    (:mod:`ssckit.web.cache`; ``cache=False`` turns that off).
    """
    ws = Workspace.load(workspace_dir)
    store = Store.open(ws.store_path)

    app = FastAPI(
        title=f"ssckit API: {ws.label}", version=__version__,
        description="Indicator values and the U4SSC KPI scorecard (ITU-T Y.4903) of one city. "
                    "Reads are public; writes need an API token (`Authorization: Bearer ...`) "
                    "of a user with the analyst or admin role.",
        # The interactive docs load scripts from a CDN, which the CSP and offline use forbid.
        docs_url=None, redoc_url=None,
    )
    app.state.workspace = ws
    app.state.store = store
    app.state.templates = _templates()
    app.state.nav = [("Home", "/", None)]
    app.add_middleware(StoreScope, store=store)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(VersionCache, enabled=cache, version=workspace_version(
        store.version, ws.root / "city.yaml"))
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(LanguageMiddleware, default=ws.config.language)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InputError, _input_error)

    app.include_router(api)
    app.include_router(shell)
    app.state.nav_by_module = {}
    for face in faces():
        entries: list[tuple[str, str, str | None]] = []
        for ref in face.web:
            module = load_ref(ref)
            app.include_router(module.router, prefix=API_PREFIX)
            app.include_router(module.pages)
            entries.extend(getattr(module, "NAV", []))
        app.state.nav_by_module[face.name] = entries
        app.state.nav.extend(entries)
        if static := face.folder(face.static):
            app.mount(f"/static/{face.name}", StaticFiles(directory=str(static)),
                      name=f"static-{face.name}")
    app.state.nav.extend([("Account", "/account", "viewer"), ("Users", "/admin/users", "admin")])
    if LEAFLET_DIR.is_dir():  # Debian's libjs-leaflet: maps work offline, no CDN
        app.mount("/static/leaflet", StaticFiles(directory=str(LEAFLET_DIR)), name="leaflet")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app

