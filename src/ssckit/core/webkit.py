"""What every module's web pages share: who is asking, roles, CSRF, and rendering a page.

A module's ``web.py`` builds its API router and pages with these; the web app (``ssckit.web``)
puts the routers together and fills ``request.app.state`` (workspace, store, templates, nav).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import plotly
import plotly.graph_objects as go
import plotly.io as pio
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from ssckit import __version__
from ssckit.core import auth, i18n
from ssckit.core.indicators import QUALITY_GRADES
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

API_PREFIX = "/api/v1"
SESSION_COOKIE = "ssckit_session"
LOGIN_CSRF_COOKIE = "ssckit_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PLOTLY_JS_PATH = "/static/plotly.min.js"
#: A reporting period: YYYY, YYYY-MM or YYYY-MM-DD.
PERIOD_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_UNSET = object()


class Answer(BaseModel):
    """Base of the ``/api/v1`` response models: the fields a model declares are typed (numbers
    as numbers, units in their descriptions); fields a newer version adds pass through."""

    model_config = ConfigDict(extra="allow")


# -- requests: workspace, store, who is asking ------------------------------------------------
@dataclass(frozen=True)
class Principal:
    """Who sent a request: a user, through a browser session or an API token."""

    user: auth.User
    session: auth.WebSession | None = None


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def current_principal(request: Request) -> Principal | None:
    """The user of a request's ``Authorization: Bearer`` token or session cookie, if any."""
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    store = get_store(request)
    principal = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        user = auth.user_for_api_token(store, header[7:].strip())
        if user is None:
            raise HTTPException(401, "invalid API token",
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        principal = Principal(user)
    elif token := request.cookies.get(SESSION_COOKIE):
        session = auth.session_for(store, token)
        if session is not None:
            principal = Principal(session.user, session)
    request.state.principal = principal
    return principal


def require_role(role: str) -> Callable[[Request], Principal]:
    """A dependency admitting users with ``role`` or a higher one: 401 if anonymous, else 403.

    A write through the API with a session cookie (rather than a token) must also carry the
    session's CSRF token in the ``X-CSRF-Token`` header.
    """

    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise HTTPException(401, "log in or send an API token (Authorization: Bearer ...)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not principal.user.has_role(role):
            raise HTTPException(403, f"this needs the {role} role; you are "
                                     f"{principal.user.role}")
        if (principal.session is not None and request.method not in SAFE_METHODS
                and request.url.path.startswith(API_PREFIX)):
            check_csrf(request, request.headers.get(CSRF_HEADER, ""))
        return principal

    return dependency


def check_csrf(request: Request, submitted: str | None) -> None:
    """403 unless ``submitted`` is the CSRF token of this browser (session or login form)."""
    principal = current_principal(request)
    if principal is not None and principal.session is not None:
        expected = principal.session.csrf_token
    else:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not submitted or not expected or not auth.constant_time_equal(submitted, expected):
        raise HTTPException(403, "the form's security token is missing or out of date; "
                                 "reload the page and try again")


def csrf_token(request: Request) -> str:
    """The CSRF token forms of this page must carry (see :func:`check_csrf`)."""
    principal = current_principal(request)
    if principal is not None and principal.session is not None:
        return principal.session.csrf_token
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or getattr(request.state, "new_login_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_login_csrf = token
    return token


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(path: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if path and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


# -- the reader's language ----------------------------------------------------------------------
def request_language(request: Request) -> str:
    """The language of this request (``?lang=``, the switcher's cookie, ``Accept-Language``,
    city.yaml ``language:``, English), as chosen by the web app's language middleware."""
    lang = getattr(request.state, "lang", None)
    if lang in i18n.LANGUAGES:
        return lang
    return i18n.choose_language(request.query_params.get(i18n.LANG_PARAM),
                                request.cookies.get(i18n.LANG_COOKIE),
                                request.headers.get("accept-language"),
                                get_workspace(request).config.language)


def language_links(request: Request) -> list[dict[str, str | bool]]:
    """The language switcher: this page in every language (``?lang=`` replaced, other query
    parameters kept)."""
    current = request_language(request)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != i18n.LANG_PARAM]
    out: list[dict[str, str | bool]] = []
    for code, name in i18n.LANGUAGES.items():
        query = urlencode([*kept, (i18n.LANG_PARAM, code)])
        out.append({"code": code, "name": name, "href": f"{request.url.path}?{query}",
                    "current": code == current})
    return out


# -- rendering --------------------------------------------------------------------------------
def format_number(value: float | None) -> str:
    """A number as readers of the language in force write it: 85.2, 1,234, 0.0123 in English;
    85,2, 1 234, 0,0123 in Russian; '' for None."""
    return i18n.format_number(value)


def chart_json(fig: go.Figure) -> Markup:
    """A figure as JSON safe to place inside ``<script type="application/json">``."""
    text = pio.to_json(fig, validate=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page with what every page shows: city, user, navigation, CSRF token."""
    ws = get_workspace(request)
    principal = current_principal(request)
    user = principal.user if principal else None
    nav = [(label, path) for label, path, role in request.app.state.nav
           if role is None or (user is not None and user.has_role(role))]
    ctx = {
        "ws": ws, "city": ws.config, "user": user, "nav": nav,
        # Anonymous visitors get a (login) CSRF cookie only where there is a form to post.
        "csrf_token": csrf_token(request)
        if user is not None or template == "login.html" else "",
        "version": __version__, "plotly_js": f"{PLOTLY_JS_PATH}?v={plotly.__version__}",
        "quality_grades": QUALITY_GRADES, "path": request.url.path,
        "page_lang": request_language(request), "languages": language_links(request),
    }
    ctx.update(context or {})
    response = request.app.state.templates.TemplateResponse(
        request, template, ctx, status_code=status_code, headers=headers)
    if new := getattr(request.state, "new_login_csrf", None):
        set_cookie(request, response, LOGIN_CSRF_COOKIE, new, max_age=3600)
    return response


def on_https(request: Request) -> bool:
    """Whether the client reached us over HTTPS: served with TLS, or through a trusted proxy
    that said so (``ssckit serve --behind-proxy``)."""
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Strict cookie; ``Secure`` when the client is on HTTPS (over
    plain HTTP an API client would never send a Secure cookie back)."""
    response.set_cookie(name, value, max_age=max_age, path="/", secure=on_https(request),
                        httponly=True, samesite="strict")


def delete_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=on_https(request), httponly=True,
                           samesite="strict")
