"""The printable certificate of an adaptive digital-skills test: one A4 PDF page, no name.

Made with fpdf2 (pure Python). Russian text needs a Unicode TrueType font: DejaVu Sans from the
system (Debian ``fonts-dejavu-core``) or the copy matplotlib ships; without either, the
certificate is written in English with a core PDF font.
"""

from __future__ import annotations

from datetime import datetime

from ssckit.core import i18n
from ssckit.core.fonts import unicode_font
from ssckit.skills.results import SkillsResult, area_name, group_name

TEXT = {
    "title": {"en": "Digital skills certificate", "ru": "Сертификат о цифровых навыках"},
    "intro": {"en": "This certifies the result of an adaptive digital-skills test based on the "
                    "European Digital Competence Framework (DigComp 2.2).",
              "ru": "Подтверждает результат адаптивного теста цифровых навыков по Европейской "
                    "рамке цифровых компетенций (DigComp 2.2)."},
    "id": {"en": "Pseudonymous id", "ru": "Псевдоним"},
    "date": {"en": "Date of the test", "ru": "Дата теста"},
    "place": {"en": "Issued by", "ru": "Выдан"},
    "overall": {"en": "Overall level", "ru": "Общий уровень"},
    "area": {"en": "Competence area", "ru": "Область компетенций"},
    "level": {"en": "Level", "ru": "Уровень"},
    "questions": {"en": "Questions answered", "ru": "Отвечено вопросов"},
    "uncertain": {"en": "(uncertain: few answers)", "ru": "(неточно: мало ответов)"},
    "note": {"en": "Levels 1-8 and their groups follow DigComp 2.2. The questions have "
                   "provisional difficulty values that are not yet calibrated on a population "
                   "sample, so this is an indication of skills, not a formal qualification. "
                   "The certificate carries no name: the pseudonymous id links it to the "
                   "stored result.",
             "ru": "Уровни 1-8 и их группы соответствуют DigComp 2.2. Сложность вопросов пока "
                   "задана предварительно и не откалибрована на выборке населения, поэтому это "
                   "оценка навыков, а не официальная квалификация. В сертификате нет имени: "
                   "псевдоним связывает его с сохранённым результатом."},
}


def certificate_pdf(test_id: str, taken_at: datetime, result: SkillsResult, lang: str,
                    issuer: str) -> bytes:
    """The certificate of one result as PDF bytes (A4 portrait).

    Parameters
    ----------
    test_id : str
        The pseudonymous id of the test.
    taken_at : datetime
        When the test was finished (UTC).
    result : SkillsResult
        The scored test.
    lang : {"en", "ru", "be"}
        Language of the certificate (English if no Unicode font is available).
    issuer : str
        Who issues it (the city's name).
    """
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(TEXT["title"]["en"])
    pdf.set_creator("ssckit")
    font = unicode_font()
    if font is not None:
        pdf.add_font("DejaVu", "", str(font[0]))
        pdf.add_font("DejaVu", "B", str(font[1]))
        family = "DejaVu"
    else:
        family, lang = "Helvetica", "en"

    def t(key: str) -> str:
        if lang in TEXT[key]:
            return TEXT[key][lang]
        with i18n.language(lang):  # other languages from the catalogues
            return i18n.gettext(TEXT[key]["en"])

    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    pdf.add_page()
    pdf.set_margins(20, 20, 20)
    pdf.set_draw_color(10, 88, 168)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_line_width(0.3)
    pdf.set_xy(20, 28)
    pdf.set_font(family, "B", 24)
    pdf.set_text_color(10, 88, 168)
    pdf.cell(0, 12, t("title"), align="C", **nl)
    pdf.set_text_color(27, 31, 36)
    pdf.set_font(family, "", 11)
    pdf.ln(4)
    pdf.multi_cell(0, 6, t("intro"), align="C", **nl)
    pdf.ln(8)

    pdf.set_font(family, "", 12)
    for key, value in (("id", test_id), ("date", taken_at.strftime("%Y-%m-%d")),
                       ("place", issuer)):
        pdf.set_font(family, "", 12)
        pdf.cell(55, 8, t(key))
        pdf.set_font(family, "B", 12)
        pdf.cell(0, 8, value, **nl)
    pdf.ln(6)

    pdf.set_font(family, "", 13)
    pdf.cell(0, 8, t("overall"), align="C", **nl)
    pdf.set_font(family, "B", 19)
    pdf.cell(0, 13, f"{group_name(result.group, lang)} · {t('level').lower()} {result.level}",
             align="C", **nl)
    pdf.set_font(family, "", 10)
    pdf.cell(0, 6, f"{t('questions')}: {result.n_items}", align="C", **nl)
    pdf.ln(8)

    pdf.set_font(family, "B", 11)
    pdf.set_fill_color(243, 245, 247)
    pdf.cell(105, 9, t("area"), border="B", fill=True)
    pdf.cell(0, 9, t("level"), border="B", fill=True, **nl)
    for a in result.areas:
        pdf.set_font(family, "", 10)
        pdf.cell(105, 9, area_name(a.area, lang), border="B")
        label = f"{group_name(a.group, lang)}, {a.level}"
        if a.uncertain:
            label += " " + t("uncertain")
        pdf.cell(0, 9, label, border="B", **nl)
    pdf.ln(10)
    pdf.set_font(family, "", 9)
    pdf.set_text_color(79, 89, 99)
    pdf.multi_cell(0, 5, t("note"), align="L", **nl)
    return bytes(pdf.output())
