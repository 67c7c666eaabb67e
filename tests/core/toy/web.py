"""The toy module's API and page."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ssckit.core.webkit import get_store, render

router = APIRouter(prefix="/toy", tags=["toy"])
pages = APIRouter(include_in_schema=False)
NAV = [("Toy", "/toy", None)]


@router.get("/runs")
def runs(request: Request) -> dict[str, int]:
    cur = get_store(request).cursor()
    try:
        row = cur.execute("SELECT count(*) FROM toy_runs").fetchone()
    finally:
        cur.close()
    return {"runs": int(row[0]) if row else 0}


@pages.get("/toy", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    return render(request, "toy/index.html", {"runs": runs(request)["runs"]})
