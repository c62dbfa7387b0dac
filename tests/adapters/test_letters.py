"""Letters rendered and read back: every kind in every language, as the PDF's text (pypdf)
and the DOCX's paragraphs (python-docx) say it, with the letterhead, the addressee, the
date written the language's way and the recommendations named; fonts embedded; the same
letter rendered twice is the same bytes (what makes a redelivered activity store nothing
twice)."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from pypdf import PdfReader

from domain.letters import LetterContent, Letterhead, LetterItem, LetterKind
from domain.values import Language
from services.adapters.documents import MemoryDocumentStore
from services.adapters.letters import LetterPress, render_docx, render_html, render_pdf

HEAD = Letterhead(
    name="National Preventive Mechanism",
    address="1 Quay Street\nValletta",
    signatory="Jeanne Martin",
    signatory_title="Head of the NPM",
    place="Valletta",
)

# What each language's letter must say: salutation, the due date as the language writes
# it, and a phrase of each kind's subject.
WORDING = {
    Language.EN: (
        "Dear Sir or Madam,",
        "1 April 2026",
        {
            LetterKind.TRANSMITTAL: "Transmittal of our report",
            LetterKind.REMINDER: "Reminder: your reply is due on",
            LetterKind.DEADLINE_MISSED: "Your reply is overdue since",
            LetterKind.ESCALATION: "escalation, level 2",
            LetterKind.IMPLEMENTATION_OVERDUE: "Implementation overdue since",
        },
    ),
    Language.FR: (
        "Madame, Monsieur,",
        "1er avril 2026",
        {
            LetterKind.TRANSMITTAL: "Transmission de notre rapport",
            LetterKind.REMINDER: "Rappel : votre réponse est attendue",
            LetterKind.DEADLINE_MISSED: "Votre réponse est en retard",
            LetterKind.ESCALATION: "saisine de niveau 2",
            LetterKind.IMPLEMENTATION_OVERDUE: "Mise en œuvre en retard depuis le",
        },
    ),
    Language.ES: (
        "Estimada señora, estimado señor:",
        "1 de abril de 2026",
        {
            LetterKind.TRANSMITTAL: "Remisión de nuestro informe",
            LetterKind.REMINDER: "Recordatorio: su respuesta vence",
            LetterKind.DEADLINE_MISSED: "Su respuesta está vencida",
            LetterKind.ESCALATION: "escalamiento, nivel 2",
            LetterKind.IMPLEMENTATION_OVERDUE: "Aplicación atrasada desde el",
        },
    ),
    Language.RU: (
        "Уважаемые дамы и господа!",
        "1 апреля 2026 г.",  # noqa: RUF001
        {
            LetterKind.TRANSMITTAL: "Направление доклада",
            LetterKind.REMINDER: "Напоминание: ответ ожидается",
            LetterKind.DEADLINE_MISSED: "Срок ответа истёк",
            LetterKind.ESCALATION: "эскалация, уровень 2",
            LetterKind.IMPLEMENTATION_OVERDUE: "Выполнение просрочено с",  # noqa: RUF001
        },
    ),
}


def letter(kind: LetterKind, language: Language) -> LetterContent:
    return LetterContent(
        kind=kind,
        language=language,
        dated=date(2026, 4, 2),
        letterhead=HEAD,
        authority_name="Ministry <of> Justice",
        postal_address="Registry\n12 Castle Square",
        items=(
            LetterItem("NPM-2026-0001", "Open the yard every day", date(2026, 4, 1)),
            LetterItem("NPM-2026-0002", "Repair the showers of wing B", date(2026, 4, 1)),
        ),
        report_title="Visit to Corradino prison",
        report_date=date(2026, 2, 1),
        due_on=date(2026, 4, 1),
        level=2 if kind is LetterKind.ESCALATION else None,
        action="letter to the minister" if kind is LetterKind.ESCALATION else None,
        addressee="The Minister" if kind is LetterKind.ESCALATION else None,
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def docx_paragraphs(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(LetterKind))
def test_each_letter_reads_back_in_its_language(kind: LetterKind, language: Language) -> None:
    salutation, due, subjects = WORDING[language]
    content = letter(kind, language)
    html = render_html(content)
    assert "Ministry &lt;of&gt; Justice" in html  # autoescaped
    pdf, word = render_pdf(html), render_docx(html, content)

    text = pdf_text(pdf)
    paragraphs = docx_paragraphs(word)
    joined = " ".join(paragraphs)
    for said in (text, joined):
        assert said.startswith("National Preventive Mechanism 1 Quay Street Valletta")
        assert "Ministry <of> Justice" in said and "12 Castle Square" in said
        assert salutation in said and subjects[kind] in said
        assert "NPM-2026-0001: Open the yard every day" in said
        assert "Jeanne Martin" in said and "Head of the NPM" in said
        if kind is not LetterKind.TRANSMITTAL:
            assert due in said
        if kind is LetterKind.ESCALATION:
            assert "The Minister" in said and "letter to the minister" in said
    assert paragraphs[0] == "National Preventive Mechanism"
    assert paragraphs[paragraphs.index("Registry") + 2].startswith("Valletta, ")
    # the recommendations as a numbered list, each in its own paragraph
    numbered = [
        p for p in docx.Document(io.BytesIO(word)).paragraphs if p.style.name == "List Number"
    ]
    assert [p.text for p in numbered] == [
        "NPM-2026-0001: Open the yard every day",
        "NPM-2026-0002: Repair the showers of wing B",
    ]
    # rendered again: the same bytes
    assert render_pdf(render_html(content)) == pdf
    assert render_docx(html, content) == word


def test_fonts_are_embedded_in_the_pdf() -> None:
    reader = PdfReader(
        io.BytesIO(render_pdf(render_html(letter(LetterKind.ESCALATION, Language.RU))))
    )
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for font in fonts.values():
        font = font.get_object()
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = described["/FontDescriptor"].get_object()
        assert any(key.startswith("/FontFile") for key in descriptor), font["/BaseFont"]


def test_the_press_stores_the_pdf_and_the_docx_by_their_hash() -> None:
    store = MemoryDocumentStore()
    press = LetterPress(store, HEAD)
    first = press.press(letter(LetterKind.DEADLINE_MISSED, Language.FR))
    assert [d.media_type for d in first] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    assert [d.filename for d in first] == [
        "deadline-missed-2026-04-02-fr.pdf",
        "deadline-missed-2026-04-02-fr.docx",
    ]
    for doc in first:
        stored = store.get(doc.sha256)
        assert stored is not None and stored.size == doc.size == len(stored.content)
    assert press.press(letter(LetterKind.DEADLINE_MISSED, Language.FR)) == first
