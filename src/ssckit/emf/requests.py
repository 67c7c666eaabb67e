"""Residents' EMF measurement requests: from the public form to the result on the public map.

A resident asks for a measurement at a place (the public form, no account) → analysts assign
the request, schedule a visit and close it with the measured field and the lab report → the
resident follows it on a private status page (an unguessable link, ``secrets.token_urlsafe``,
of which only the SHA-256 is stored) → with the resident's consent the result is shown on the
public EMF map. Every state change is one row of ``emf_request_events``; e-mail notices
(received, scheduled, done) go out through :mod:`ssckit.core.notify` when
``settings.emf.requests.email`` is set, in the resident's language.

The measurement follows the lab's protocol (IEC 62232:2022 clause 6, ITU-T K.61, ITU-T K.83);
what is kept here is its result: the total RMS electric field strength [V/m] and the total
exposure ratio as a percentage of the limit (ITU-T K.100 / IEC 62232 total exposure quotient
× 100 [%]).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ssckit.core import auth, notify
from ssckit.core.errors import InputError
from ssckit.core.i18n import (
    N_,
    current_language,
    format_date,
    format_fixed,
    format_number,
    gettext,
    language,
)
from ssckit.core.store import Store
from ssckit.core.workspace import CONFIG_NAME, Workspace

__all__ = [
    "STATUSES",
    "RequestError",
    "RequestSettings",
    "assign_request",
    "check_request_form",
    "close_request",
    "create_request",
    "get_request",
    "import_requests_csv",
    "list_requests",
    "published_results",
    "request_events",
    "request_for_token",
    "request_settings",
    "schedule_request",
    "send_notices",
]

#: States of a request, in order.
STATUSES = ("received", "assigned", "scheduled", "done")
STATUS_LABELS = {"received": N_("received"), "assigned": N_("assigned to an engineer"),
                 "scheduled": N_("measurement scheduled"), "done": N_("done")}
#: Where a request can come from.
CHANNELS = ("web", "post", "phone", "e-mail")
RATE_KIND = "emf-request"
NOTICE_TABLE = "emf_request_notices"
NOTICE_KEY_COLUMN = "notice_key"
NOTIFIED_ACTIONS = ("received", "scheduled", "done")
REF_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,29}$")
EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
LAB_REPORT_RE = re.compile(r"^[A-Za-z0-9._:/#-]{1,80}$")
ADDRESS_CHARS = (3, 200)
MAX_REASON_CHARS = 1000
MAX_EMAIL_CHARS = 254
#: Plausible range of a measured total field strength [V/m] (ICNIRP 2020 Table 5 reference
#: levels are 28–61 V/m for the general public; a measurement far above is a typing error).
E_FIELD_RANGE_V_M = (0.0, 1000.0)
#: Range of a measured total exposure ratio [% of the limit].
PERCENT_RANGE = (0.0, 100_000.0)
#: How far ahead a visit may be scheduled [days].
MAX_SCHEDULE_DAYS = 366
PDF_MAGIC = b"%PDF-"

_create_lock = threading.Lock()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- settings ---------------------------------------------------------------------------------
class RequestSettings(BaseModel):
    """``settings.emf.requests`` of city.yaml.

    per_client_per_day: requests one client address may send in 24 h without an account
    (5); public_url: the address residents reach the site at, for the links in e-mails (e.g.
    ``https://emf.city.example``); email: SMTP server of the notices (none: no e-mail);
    reports_dir: folder of attached lab reports, relative to the workspace
    (``emf_requests``); max_report_mb: largest report file [MB] (8, the largest request
    body the web app accepts).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    per_client_per_day: int = Field(5, ge=1, le=10_000)
    public_url: str | None = Field(None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    email: notify.SmtpServer | None = None
    reports_dir: str = Field("emf_requests", min_length=1)
    max_report_mb: float = Field(8.0, gt=0, le=8)


def request_settings(ws: Workspace) -> RequestSettings:
    """Validate ``settings.emf.requests``; a bad entry is one InputError naming the field."""
    raw = (ws.config.settings.get("emf") or {}).get("requests") or {}
    try:
        return RequestSettings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown setting; allowed: {', '.join(sorted(RequestSettings.model_fields))}"
        raise InputError(str(ws.root / CONFIG_NAME), f"field 'settings.emf.requests.{loc}'",
                         msg) from None


# -- the resident's form ----------------------------------------------------------------------
@dataclass(frozen=True)
class RequestForm:
    """A checked request: where (address, the place found, WGS 84 degrees), who to tell
    (e-mail, language), why, and whether the result may be published."""

    address: str
    place: str
    lat: float
    lon: float
    email: str
    lang: str
    reason: str
    consent_publish: bool


def check_request_form(fields: Mapping[str, str], lat: float | None, lon: float | None,
                       lang: str, find_place: Callable[[str], dict[str, Any] | None],
                       inside: Callable[[float, float], bool]
                       ) -> tuple[RequestForm | None, dict[str, str]]:
    """Check what a resident sent: (the request, {}) or (None, {field: one-line message in
    the language in force}).

    ``lat``/``lon`` [degrees] are the map click or typed coordinates (already parsed), else
    ``fields["place"]`` is looked up with ``find_place`` among the workspace's named features;
    ``inside(lat, lon)`` says whether the place is in the city.
    """
    errors: dict[str, str] = {}
    address = " ".join((fields.get("address") or "").split())
    lo, hi = ADDRESS_CHARS
    if not lo <= len(address) <= hi:
        errors["address"] = gettext(
            "Address: enter the street, house and flat where you want the measurement "
            "({lo} to {hi} characters).").format(lo=lo, hi=hi)
    place_q = " ".join((fields.get("place") or "").split())[:100]
    place = ""
    if lat is None or lon is None:
        found = find_place(place_q) if place_q else None
        if found is not None:
            lat, lon, place = found["lat"], found["lon"], found["name"]
        elif place_q:
            errors["place"] = gettext("No place called “{q}” in this city; pick a name from the "
                                      "list or click the map.").format(q=place_q)
        else:
            errors["place"] = gettext("Location: search for your street or district, or click "
                                      "the map where the measurement should be made.")
    else:
        place = place_q
    if lat is not None and lon is not None and "place" not in errors and not inside(lat, lon):
        errors["place"] = gettext("This place is outside the city's area; choose a place in "
                                  "the city.")
    email = (fields.get("email") or "").strip()
    if email and (len(email) > MAX_EMAIL_CHARS or not EMAIL_RE.match(email)):
        errors["email"] = gettext("E-mail: “{value}” is not an e-mail address; write it as "
                                  "name@example.org, or leave it empty.").format(value=email[:60])
    reason = (fields.get("reason") or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        errors["reason"] = gettext("Reason: at most {n} characters; shorten the text.").format(
            n=MAX_REASON_CHARS)
    if errors or lat is None or lon is None:
        return None, errors
    return RequestForm(address, place, round(float(lat), 6), round(float(lon), 6), email, lang,
                       reason, (fields.get("consent_publish") or "") == "yes"), {}


# -- the queue --------------------------------------------------------------------------------
_COLUMNS = ("ref", "token_hash", "received_at", "channel", "status", "address", "place", "lat",
            "lon", "email", "lang", "reason", "consent_publish", "assignee", "scheduled_for",
            "e_v_m", "percent_of_limit", "report_file", "lab_report", "closed_at")


def _rows(store: Store, where: str = "", params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = store.cursor()
    try:
        rows = cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM emf_requests {where}",
                           params or []).fetchall()
    finally:
        cur.close()
    return [dict(zip(_COLUMNS, r, strict=True)) for r in rows]


def _log(tx: Any, ref: str, actor: str, action: str, detail: str, now: datetime) -> None:
    (seq,) = tx.execute("SELECT coalesce(max(seq), 0) + 1 FROM emf_request_events WHERE ref = ?",
                        [ref]).fetchone()
    tx.execute("INSERT INTO emf_request_events VALUES (?, ?, ?, ?, ?, ?)",
               [ref, seq, now, actor, action, detail[:500]])


def _next_ref(tx: Any, year: int) -> str:
    prefix = f"EMF-{year}-"
    refs = tx.execute("SELECT ref FROM emf_requests WHERE ref LIKE ?", [prefix + "%"]).fetchall()
    numbers = [int(r[len(prefix):]) for (r,) in refs if r[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def create_request(store: Store, form: RequestForm, *, channel: str = "web",
                   actor: str = "resident", ref: str | None = None,
                   now: datetime | None = None) -> tuple[str, str]:
    """Queue a request; return its reference (``EMF-<year>-<n>``) and the private token of the
    resident's status link (shown once; only its SHA-256 is kept)."""
    now = now or _now()
    token = secrets.token_urlsafe(24)
    with _create_lock, store.transaction() as tx:
        ref = ref or _next_ref(tx, now.year)
        tx.execute(f"INSERT INTO emf_requests ({', '.join(_COLUMNS[:13])}) VALUES "
                   f"({', '.join('?' * 13)})",
                   [ref, auth.token_hash(token), now, channel, "received", form.address,
                    form.place, form.lat, form.lon, form.email, form.lang, form.reason,
                    form.consent_publish])
        _log(tx, ref, actor, "received", f"{channel}; {form.place or 'map point'}", now)
    return ref, token


def get_request(store: Store, ref: str) -> dict[str, Any] | None:
    found = _rows(store, "WHERE ref = ?", [ref])
    return found[0] if found else None


def _require(store: Store, ref: str) -> dict[str, Any]:
    req = get_request(store, ref)
    if req is None:
        raise InputError("request", f"reference {ref!r}",
                         "no such request; see `ssckit emf requests list`")
    return req


def request_for_token(store: Store, token: str) -> dict[str, Any] | None:
    """The request of a private status link, or None."""
    if not 16 <= len(token) <= 100:
        return None
    found = _rows(store, "WHERE token_hash = ?", [auth.token_hash(token)])
    return found[0] if found else None


def list_requests(store: Store, status: str | None = None) -> list[dict[str, Any]]:
    """Requests (of ``status`` when given), oldest first: the queue as analysts work it."""
    if status is not None and status not in STATUSES:
        raise InputError("--status", None, f"{status!r} is not a status; use one of "
                                           f"{', '.join(STATUSES)}")
    where = "WHERE status = ? " if status else ""
    return _rows(store, where + "ORDER BY received_at, ref", [status] if status else [])


def request_events(store: Store, ref: str) -> list[dict[str, Any]]:
    """Every state change of a request, oldest first (seq, happened_at, actor, action,
    detail)."""
    cur = store.cursor()
    try:
        rows = cur.execute("SELECT seq, happened_at, actor, action, detail FROM "
                           "emf_request_events WHERE ref = ? ORDER BY seq", [ref]).fetchall()
    finally:
        cur.close()
    return [dict(zip(("seq", "happened_at", "actor", "action", "detail"), r, strict=True))
            for r in rows]


# The mistakes an analyst can make are worded in the language in force: English on the command
# line, the reader's on the analysts' pages (which name the form's field for ``source``).
class RequestError(InputError):
    """A mistake on a request whose remedy differs on the command line and on the analysts'
    pages: ``message`` says what to do on the command line (English), ``on_page`` what to do
    in the page's form (in the language in force when raised)."""

    def __init__(self, source: str, location: str | None, message: str, on_page: str) -> None:
        super().__init__(source, location, message)
        self.on_page = on_page


def _reference(ref: str) -> str:
    return gettext("reference {ref}").format(ref=repr(ref))


def _quantity(value: float) -> str:
    """A number of an error message: as ``{:g}`` writes it in English, else as readers write
    it (``0,5``, ``1 000``)."""
    return f"{value:g}" if current_language() == "en" else format_number(value)


def assign_request(store: Store, ref: str, assignee: str, actor: str,
                   now: datetime | None = None) -> dict[str, Any]:
    """Give a request to ``assignee`` (a user with the analyst role or a higher one)."""
    req = _require(store, ref)
    if req["status"] == "done":
        raise InputError("request", _reference(ref),
                         gettext("is done already; nothing to assign"))
    user = auth.get_user(store, assignee)
    if user is None or not user.has_role("analyst"):
        raise RequestError("assignee", None, (
            f"{assignee!r} is not an analyst; give the user name of an analyst or admin (see "
            "`ssckit users list`)"), gettext(
            "{name} is not an analyst; choose one of the analysts listed in this form (an "
            "administrator gives users the analyst role on the Users page)").format(
            name=repr(assignee)))
    now = now or _now()
    with store.transaction() as tx:
        tx.execute("UPDATE emf_requests SET assignee = ?, status = ? WHERE ref = ?",
                   [assignee, "assigned" if req["status"] == "received" else req["status"],
                    ref])
        _log(tx, ref, actor, "assigned", assignee, now)
    return _require(store, ref)


def schedule_request(store: Store, ref: str, day: date, actor: str,
                     now: datetime | None = None) -> dict[str, Any]:
    """Set the day of the visit (today or later, at most :data:`MAX_SCHEDULE_DAYS` ahead)."""
    req = _require(store, ref)
    now = now or _now()
    if req["status"] == "done":
        raise InputError("request", _reference(ref),
                         gettext("is done already; nothing to schedule"))
    if not req["assignee"]:
        raise InputError("request", _reference(ref), gettext("assign it to an analyst first"))
    today = now.date()
    if not today <= day <= today + timedelta(days=MAX_SCHEDULE_DAYS):
        raise InputError("date", None, gettext(
            "{day} is outside {first}..{last}; give a day from today to a year ahead").format(
            day=day.isoformat(), first=today.isoformat(),
            last=(today + timedelta(days=MAX_SCHEDULE_DAYS)).isoformat()))
    with store.transaction() as tx:
        tx.execute("UPDATE emf_requests SET scheduled_for = ?, status = 'scheduled' "
                   "WHERE ref = ?", [day, ref])
        _log(tx, ref, actor, "scheduled", day.isoformat(), now)
    return _require(store, ref)


def _number(name: str, value: float, lo: float, hi: float, unit: str) -> float:
    value = float(value)
    if not (value == value and lo <= value <= hi):  # noqa: PLR0124 - NaN check
        raise InputError(name, None, gettext("{value} is outside {lo}..{hi} {unit}").format(
            value=_quantity(value), lo=_quantity(lo), hi=_quantity(hi), unit=gettext(unit)))
    return value


def close_request(ws: Workspace, store: Store, ref: str, *, e_v_m: float,
                  percent_of_limit: float, actor: str, report: bytes | None = None,
                  lab_report: str | None = None, now: datetime | None = None
                  ) -> dict[str, Any]:
    """Record the result and close the request.

    Parameters
    ----------
    e_v_m : float
        Measured total RMS electric field strength [V/m] (IEC 62232:2022 clause 6).
    percent_of_limit : float
        Measured total exposure ratio × 100 [% of the limit] (ITU-T K.100 / IEC 62232 total
        exposure quotient).
    report : bytes, optional
        The lab report (PDF), kept as ``<reports_dir>/<ref>.pdf`` in the workspace.
    lab_report : str, optional
        Reference of the lab report in the measurement register. One of ``report`` and
        ``lab_report`` is required.
    """
    req = _require(store, ref)
    now = now or _now()
    if req["status"] not in ("assigned", "scheduled"):
        raise InputError("request", _reference(ref), gettext(
            "is {status}; assign it before closing it").format(
            status=gettext(STATUS_LABELS.get(req["status"], req["status"]))))
    e_v_m = _number("measured field", e_v_m, *E_FIELD_RANGE_V_M, N_("V/m"))
    percent_of_limit = _number("share of the limit", percent_of_limit, *PERCENT_RANGE, "%")
    lab_report = (lab_report or "").strip() or None
    if lab_report is not None and not LAB_REPORT_RE.match(lab_report):
        raise InputError("lab report", None, gettext(
            "{value} is not a report reference; use 1-80 letters, digits and . _ : / # -").format(
            value=repr(lab_report[:40])))
    if report is None and lab_report is None:
        raise InputError("report", None, gettext(
            "attach the lab report (PDF) or give the reference of the lab report in the "
            "register"))
    settings = request_settings(ws)
    rel = None
    if report is not None:
        if not report.startswith(PDF_MAGIC):
            raise InputError("report", None,
                             gettext("not a PDF file; attach the lab report as PDF"))
        if len(report) > settings.max_report_mb * 1e6:
            mb = len(report) / 1e6
            raise RequestError("report", None, (
                f"{mb:.1f} MB is over the limit of {settings.max_report_mb:g} MB "
                f"(settings.emf.requests.max_report_mb in {CONFIG_NAME})"), gettext(
                "{size} MB is over the limit of {limit} MB; attach a smaller PDF or give the "
                "reference of the lab report in the register").format(
                size=format_fixed(mb), limit=_quantity(settings.max_report_mb)))
        folder = ws.path(settings.reports_dir)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{ref}.pdf"
        tmp = target.with_suffix(".part")
        tmp.write_bytes(report)
        tmp.replace(target)
        rel = f"{settings.reports_dir}/{ref}.pdf"
    with store.transaction() as tx:
        tx.execute("UPDATE emf_requests SET status = 'done', e_v_m = ?, percent_of_limit = ?, "
                   "report_file = ?, lab_report = ?, closed_at = ? WHERE ref = ?",
                   [e_v_m, percent_of_limit, rel, lab_report, now, ref])
        _log(tx, ref, actor, "done", f"{e_v_m:g} V/m, {percent_of_limit:g} % of the limit"
             + (f"; lab report {lab_report}" if lab_report else "")
             + (f"; report {rel}" if rel else ""), now)
    return _require(store, ref)


def report_path(ws: Workspace, req: Mapping[str, Any]) -> Path | None:
    """The attached report file of a request, when it has one and it is there."""
    if not req.get("report_file"):
        return None
    path = ws.path(req["report_file"])
    return path if path.is_file() else None


def published_results(store: Store) -> list[dict[str, Any]]:
    """Done requests whose residents consented: reference, the named place found for it,
    where [WGS 84 degrees], day, E [V/m] and % of the limit; never the address or e-mail."""
    return [{"ref": r["ref"], "place": r["place"], "lat": round(r["lat"], 5),
             "lon": round(r["lon"], 5),
             "measured_on": (r["scheduled_for"] or r["closed_at"].date()).isoformat(),
             "e_v_m": r["e_v_m"], "percent_of_limit": r["percent_of_limit"]}
            for r in _rows(store, "WHERE status = 'done' AND consent_publish ORDER BY closed_at")]


# -- notices to the resident ------------------------------------------------------------------
def status_link(settings: RequestSettings, token: str) -> str:
    return f"{(settings.public_url or '').rstrip('/')}/emf/request/status/{token}"


def _notice(req: Mapping[str, Any], event: Mapping[str, Any], settings: RequestSettings,
            token: str | None) -> notify.Notice:
    action, ref = event["action"], req["ref"]
    with language(req["lang"]):
        subject = {
            "received": gettext("Your EMF measurement request {ref} is received"),
            "scheduled": gettext("Your EMF measurement {ref} is scheduled"),
            "done": gettext("Your EMF measurement {ref} is done"),
        }[action].format(ref=ref)
        lines = [gettext("Measurement request {ref}, {address}.").format(
            ref=ref, address=req["address"])]
        if action == "received":
            lines.append(gettext("We have received your request. An engineer will contact "
                                 "you to agree on a visit."))
            if token and settings.public_url:
                lines += ["", gettext("Follow your request here (keep this link private):"),
                          status_link(settings, token)]
        elif action == "scheduled":
            lines.append(gettext("The measurement is planned for {day}.").format(
                day=format_date(req["scheduled_for"])))
        else:
            lines.append(gettext("Measured electric field: {e} V/m, that is {p} % of the "
                                 "limit.").format(e=format_number(req["e_v_m"]),
                                                  p=format_number(req["percent_of_limit"])))
            if req["consent_publish"]:
                lines.append(gettext("As you agreed, the result is shown on the public EMF "
                                     "map."))
        lines += ["", gettext("This message was sent automatically; please do not reply.")]
    return notify.Notice(f"{ref}:{action}:{event['seq']}", subject, "\n".join(lines),
                         {"type": "ssckit.emf.request", "ref": ref, "status": action},
                         {"email": [req["email"]]})


def send_notices(ws: Workspace, store: Store, ref: str, token: str | None = None
                 ) -> dict[str, int] | None:
    """E-mail the resident every notice of ``ref`` not yet accepted (received, scheduled,
    done), when the request has an e-mail address and ``settings.emf.requests.email`` is set;
    None when nothing can be sent. Failures are logged in ``emf_request_notices`` and retried
    at the next state change (at most :data:`ssckit.core.notify.DEFAULT_MAX_ATTEMPTS`)."""
    settings = request_settings(ws)
    req = _require(store, ref)
    if settings.email is None or not req["email"]:
        return None
    channel = settings.email.channel(local_hostname="ssckit.emf")
    notices = [_notice(req, ev, settings, token) for ev in request_events(store, ref)
               if ev["action"] in NOTIFIED_ACTIONS]
    return notify.deliver(store, NOTICE_TABLE, notices, [channel], key_column=NOTICE_KEY_COLUMN)


def notice_log(store: Store, ref: str) -> list[dict[str, Any]]:
    """Delivery attempts of the notices of ``ref``, newest first."""
    return [d for d in notify.delivery_log(store, NOTICE_TABLE, key_column=NOTICE_KEY_COLUMN)
            if d["alert_key"].startswith(f"{ref}:")]


# -- requests received by post or phone -------------------------------------------------------
def import_requests_csv(store: Store, path: Path) -> list[tuple[str, str]]:
    """Queue the requests of a CSV file (received by post, phone or e-mail) that are not in
    the queue yet; return (reference, private status token) of each new one.

    Columns: ``reference, received_at`` (ISO date or date-time), ``address, lat, lon``
    (WGS 84 degrees), ``language`` (en, ru, be), ``consent_publish`` (yes/no); optional
    ``place, email, reason, channel`` (post, phone, e-mail; default post).
    """
    from ssckit.core.csvfile import read_csv_rows
    from ssckit.core.i18n import LANGUAGES

    rows = read_csv_rows(path, ("reference", "received_at", "address", "lat", "lon", "language",
                                "consent_publish"), ("place", "email", "reason", "channel"))
    known = {r["ref"] for r in _rows(store)}
    new = []
    for row in rows:
        ref = row["reference"]
        if not REF_RE.match(ref):
            raise row.error("reference", f"{ref!r} is not a reference; use 3-30 capital "
                                         "letters, digits and -, e.g. EMF-2026-0001")
        try:
            received = datetime.fromisoformat(row["received_at"])
        except ValueError:
            raise row.error("received_at", f"{row['received_at']!r} is not an ISO date "
                                           "(YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
        lat, lon = row.number("lat", -90, 90), row.number("lon", -180, 180)
        lang = row.choice("language", tuple(LANGUAGES))
        consent = row.choice("consent_publish", ("yes", "no")) == "yes"
        channel = row.choice("channel", CHANNELS[1:], default="post")
        address = " ".join(row["address"].split())
        if not ADDRESS_CHARS[0] <= len(address) <= ADDRESS_CHARS[1]:
            raise row.error("address", f"{len(address)} characters; give {ADDRESS_CHARS[0]} to "
                                       f"{ADDRESS_CHARS[1]}")
        email = row.get("email")
        if email and not EMAIL_RE.match(email):
            raise row.error("email", f"{email!r} is not an e-mail address")
        if ref in known:
            continue
        form = RequestForm(address, row.get("place"), lat, lon, email, lang,
                           row.get("reason")[:MAX_REASON_CHARS], consent)
        new.append(create_request(store, form, channel=channel, actor=f"import:{path.name}",
                                  ref=ref, now=received.replace(tzinfo=None)))
        known.add(ref)
    return new
