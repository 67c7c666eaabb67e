"""The language of each request: chosen by :func:`ssckit.core.i18n.choose_language` and put in
force for everything the request runs (pages, charts, error pages); a ``?lang=`` link of the
language switcher also leaves a cookie, so the choice holds on the next pages."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ssckit.core import i18n

#: How long the switcher's choice is kept [s] (a year).
COOKIE_MAX_AGE = 365 * 24 * 3600


class LanguageMiddleware:
    """ASGI middleware: the request's language in force (``scope["state"]["lang"]`` too), a
    ``Content-Language`` header on the response, and the switcher's cookie after ``?lang=``."""

    def __init__(self, app: ASGIApp, default: str = i18n.DEFAULT_LANGUAGE) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(i18n.LANG_PARAM)
        asked = query[-1] if query else None
        cookie = None
        if raw := headers.get("cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(raw)
            except Exception:  # a malformed Cookie header is the client's problem
                jar = SimpleCookie()
            if i18n.LANG_COOKIE in jar:
                cookie = jar[i18n.LANG_COOKIE].value
        lang = i18n.choose_language(asked, cookie, headers.get("accept-language"), self.default)
        scope.setdefault("state", {})["lang"] = lang
        remember = asked in i18n.LANGUAGES and asked != cookie
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"content-language", lang.encode())]
                if remember:
                    extra.append((b"set-cookie", (
                        f"{i18n.LANG_COOKIE}={lang}; Max-Age={COOKIE_MAX_AGE}; Path=/; "
                        f"SameSite=Lax{secure}").encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        with i18n.language(lang):
            await self.app(scope, receive, send_with_language)
