"""The sample city's web portal: a few static pages, with deliberate accessibility defects.

``ssckit demo`` writes the pages into ``site/`` of the sample city's workspace; the access step
serves them on 127.0.0.1 and audits them in Chromium. Three defects are there on purpose, each
a WCAG 2.2 A/AA failure a real city portal often has:

=============  ======================================  ==========================  ===========
page           defect                                  WCAG success criterion      axe rule
=============  ======================================  ==========================  ===========
index.html     the river photo has no text alternative 1.1.1 Non-text Content      image-alt
services.html  the licence-plate field has no label    4.1.2 Name, Role, Value     label
news.html      grey notice text on white (2.3:1)       1.4.3 Contrast (Minimum)    color-contrast
=============  ======================================  ==========================  ===========

``news.html`` also links ``road-works.pdf``, a tagged PDF with a title and text but no document
language (WCAG 3.1.1, technique PDF16), which the audit's document check reports.
``contact.html`` has none. city.yaml::

    inputs:
      access: {site: site/index.html}   # the page the crawl starts from
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from pathlib import Path

from ssckit.core.sample import SampleCity, SampleInputs

SITE_DIR = "site"

#: page file -> (title, main content); ``{city}`` is the city's name.
PAGES: dict[str, tuple[str, str]] = {
    "index.html": ("Home", """
      <h1>Welcome to {city}</h1>
      <p>The city portal of {city}: services, news and how to reach the city hall.</p>
      <img src="river.svg" width="480" height="160">
      <h2>Popular services</h2>
      <ul>
        <li><a href="services.html">Apply for a resident parking permit</a></li>
        <li><a href="news.html">Road works and city news</a></li>
        <li><a href="contact.html">Opening hours of the city hall</a></li>
      </ul>"""),
    "services.html": ("Services", """
      <h1>Resident parking permit</h1>
      <p>Residents of the old town may park in their street with a permit.</p>
      <form action="services.html" method="get">
        <p><label for="name">Full name</label>
           <input id="name" name="name" type="text" autocomplete="name"></p>
        <p>Licence plate <input name="plate" type="text"></p>
        <p><button type="submit">Apply</button></p>
      </form>"""),
    "news.html": ("News", """
      <h1>City news</h1>
      <p class="notice">Notice: the river bridge is closed to cars from 3 to 14 March.</p>
      <p><a href="road-works.pdf">Road works plan for March (PDF)</a></p>
      <h2>New cycle lanes along the river</h2>
      <p>Four kilometres of protected cycle lanes open this spring.</p>"""),
    "contact.html": ("Contact", """
      <h1>Contact the city hall</h1>
      <p>City hall, 1 Market Square, {city}. Telephone <a href="tel:+000000000">000 000 000</a>.</p>
      <table>
        <caption>Opening hours</caption>
        <tr><th scope="col">Day</th><th scope="col">Hours</th></tr>
        <tr><td>Monday to Thursday</td><td>8:00 to 17:00</td></tr>
        <tr><td>Friday</td><td>8:00 to 14:00</td></tr>
      </table>"""),
}

STYLE = """body { font-family: sans-serif; margin: 0; color: #1a1a1a; background: #ffffff; }
header, main, footer { padding: 0.5rem 1.5rem; }
header { background: #0b3d5c; color: #ffffff; }
header a { color: #ffffff; margin-right: 1rem; }
a { color: #0b4f8a; }
li { margin: 0.75rem 0; }
.notice { color: #b3b3b3; }
footer { border-top: 1px solid #cccccc; font-size: 0.9rem; }
"""

RIVER = """<svg xmlns="http://www.w3.org/2000/svg" width="480" height="160" viewBox="0 0 480 160">
<rect width="480" height="160" fill="#cfe8f3"/>
<path d="M0 110 C 120 70, 240 150, 480 95 L 480 160 L 0 160 Z" fill="#2f7fb0"/>
</svg>
"""


def _page(city: str, file: str, title: str, body: str) -> str:
    nav = "\n".join(f'        <a href="{f}"' + (' aria-current="page"' if f == file else "")
                    + f">{html.escape(t)}</a>" for f, (t, _) in PAGES.items())
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(title)} | {html.escape(city)} city portal</title>
  <link rel="stylesheet" href="style.css">
</head>
<body>
  <header>
    <p>{html.escape(city)} city portal</p>
    <nav aria-label="Main">
{nav}
    </nav>
  </header>
  <main>{body.format(city=html.escape(city))}
  </main>
  <footer>
    <p>Synthetic sample data written by ssckit demo: not a real city.</p>
  </footer>
</body>
</html>
"""


#: The linked PDF: its file name, and its one deliberate defect (no /Lang).
PDF_FILE = "road-works.pdf"


def write_road_works_pdf(path: Path, city_name: str) -> Path:
    """The sample portal's PDF: tagged (a figure with alternative text), a title the viewer
    shows and real text, but no document language (WCAG 3.1.1, PDF16) on purpose.
    Deterministic: fixed creation date, image drawn in code."""
    from fpdf import FPDF, ViewerPreferences
    from PIL import Image

    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_title(f"Road works plan for March, {city_name}")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.multi_cell(0, 8, text=f"{city_name}: road works plan for March (synthetic sample data)",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, text="The river bridge is closed to cars from 3 to 14 March. "
                   "Buses use the north bridge; cyclists and pedestrians may cross.")
    img = io.BytesIO()
    Image.new("RGB", (240, 80), (47, 127, 176)).save(img, format="PNG")
    pdf.image(img, x=10, y=50, w=120, alt_text="Map of the closed river bridge")
    pdf.output(str(path))
    return path


def write_site(folder: Path, city_name: str) -> Path:
    """Write the sample portal into ``folder``; return its home page."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for file, (title, body) in PAGES.items():
        (folder / file).write_text(_page(city_name, file, title, body), encoding="utf-8")
    (folder / "style.css").write_text(STYLE, encoding="utf-8")
    (folder / "river.svg").write_text(RIVER, encoding="utf-8")
    write_road_works_pdf(folder / PDF_FILE, city_name)
    return folder / "index.html"


#: The sample city's accessibility statement file (:mod:`ssckit.access.statement`).
STATEMENT_FILE = "access-statement.yaml"


def write_statement_settings(path: Path, city_name: str) -> Path:
    """The statement file of the sample city: a body, a contact, an enforcement body and one
    exemption claimed as a disproportionate burden (all synthetic)."""
    import yaml

    slug = "".join(c if c.isalnum() else "-" for c in city_name.lower()).strip("-") or "city"
    data = {
        "body": f"City of {city_name} (synthetic sample)",
        "contact": {"email": f"accessibility@{slug}.example", "phone": "+000 000 000",
                    "address": f"City hall, 1 Market Square, {city_name}", "response_days": 10},
        "enforcement": {"body": "National web accessibility supervisor (synthetic sample)",
                        "url": "https://supervisor.example/complaints"},
        "sites": {f"http://www.{slug}.test": {
            "name": f"{city_name} city portal",
            "exemptions": [{
                "criterion": "1.2.2", "reason": "disproportionate_burden",
                "content": "video recordings of council sessions before 2020",
                "explanation": "captioning 600 hours of archived video would cost more than "
                               "the portal's yearly budget",
                "alternative": "written minutes of every session, on request"}]}},
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_sample(city: SampleCity) -> SampleInputs:
    """The sample city's portal in ``site/``, audited by the access step, and its
    accessibility statement file."""
    write_site(Path(city.root) / SITE_DIR, city.name)
    write_statement_settings(Path(city.root) / STATEMENT_FILE, city.name)
    return SampleInputs(inputs={"site": f"{SITE_DIR}/index.html", "statement": STATEMENT_FILE})
