"""Letters rendered from their templates: HTML by Jinja2 (autoescaped), then a PDF by
WeasyPrint (fonts embedded, as subsets) and a DOCX by python-docx from the same HTML.

The wording lives in letter_templates/<language>/<kind>.html.j2 (one layout per language
for the salutation and the closing), so a translator edits text, never code. Rendering is
deterministic: the same letter gives the same bytes, so a redelivered workflow activity
stores its documents once (the store is content-addressed) and the hash in the event
names exactly what was sent."""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date

from domain.attachments import DOCX, PDF
from domain.letters import LetterContent, Letterhead, StoredLetterDocument, letter_filename
from services.adapters.documents import Documents

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "letter_templates"
RENDERING = threading.Lock()


@cache
def _environment() -> Environment:
    # Imported here, as python-docx is in render_docx: every process that may write a
    # letter imports this module, and none needs either to become ready (0.1-0.2 CPU-s
    # of each start, `make bench-startup`).
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["lines"] = lambda text: [
        ln.strip() for ln in (text or "").splitlines() if ln.strip()
    ]
    return env


# Dates as each language writes them in a letter; English the British way ("1 April
# 2026"), as the UN and most NPMs writing in English do.
LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES", "ru": "ru_RU"}


def _day(day: date, locale: str) -> str:
    written = format_date(day, format="long", locale=locale)
    # French writes the first of the month as an ordinal: "1er avril 2026".
    return "1er" + written[1:] if locale == "fr_FR" and day.day == 1 else written


def render_html(letter: LetterContent) -> str:
    env = _environment().overlay()
    locale = LOCALES[letter.language.value]
    env.filters["day"] = lambda day: _day(day, locale)
    template = env.get_template(f"{letter.language.value}/{letter.kind.value}.html.j2")
    return template.render(letter=letter, letterhead=letter.letterhead)


def render_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint takes a second to load, and only the processes that write
    # letters (the worker, the api) need it, not every CLI command.
    from weasyprint import HTML

    # The identifier and the dates come from the document itself (dcterms.created), so
    # the same letter prints to the same bytes.
    document: bytes = HTML(string=html).write_pdf(uncompressed_pdf=False)
    return document


# --- DOCX ----------------------------------------------------------------------------


@dataclass
class _Block:
    tag: str
    css: str
    runs: list[tuple[str, bool, bool]]  # text, bold, italic


class _Blocks(HTMLParser):
    """The letter's HTML as paragraphs: each p, h1 and li with its runs of text."""

    BLOCKS = frozenset({"p", "h1", "li"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self._open: _Block | None = None
        self._bold = 0
        self._italic = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title", "head"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self._open = _Block(tag, dict(attrs).get("class") or "", [])
        elif tag in ("strong", "b"):
            self._bold += 1
        elif tag in ("em", "i"):
            self._italic += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head"):
            self._skip -= 1
        elif tag in self.BLOCKS and self._open is not None:
            if any(text.strip() for text, _, _ in self._open.runs):
                self.blocks.append(self._open)
            self._open = None
        elif tag in ("strong", "b"):
            self._bold -= 1
        elif tag in ("em", "i"):
            self._italic -= 1

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._skip:
            text = " ".join(data.split())
            if data[:1].isspace() and self._open.runs:
                text = " " + text
            if data[-1:].isspace() and text:
                text += " "
            if text:
                self._open.runs.append((text, self._bold > 0, self._italic > 0))


def render_docx(html: str, letter: LetterContent) -> bytes:
    from docx import Document as new_docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    parser = _Blocks()
    parser.feed(html)
    doc = new_docx()
    doc.styles["Normal"].font.name = "DejaVu Serif"
    doc.styles["Normal"].font.size = Pt(10.5)
    for block in parser.blocks:
        style = "List Number" if block.tag == "li" else None
        paragraph = doc.add_paragraph(style=style)
        for index, (text, bold, italic) in enumerate(block.runs):
            run = paragraph.add_run(text.lstrip() if index == 0 else text)
            run.bold = bold or block.tag == "h1" or block.css in ("npm", "signatory")
            run.italic = italic
            if block.css == "npm":
                run.font.size = Pt(13)
        if block.css == "date":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    props = doc.core_properties
    stamp = datetime(letter.dated.year, letter.dated.month, letter.dated.day)
    props.author = letter.letterhead.name
    props.last_modified_by = letter.letterhead.name
    props.created = props.modified = stamp
    props.revision = 1
    props.language = letter.language.value
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip_times(out.getvalue(), letter.dated)


def _fixed_zip_times(content: bytes, day: date) -> bytes:
    """python-docx stamps each zip entry with the time of saving: stamp the letter's date
    instead, so the same letter gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, (day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def render(letter: LetterContent) -> tuple[bytes, bytes]:
    """The letter's PDF and DOCX."""
    html = render_html(letter)
    return render_pdf(html), render_docx(html, letter)


class BackgroundRenderer:
    """Renders letters in one child process at a lower CPU priority (the worker's): a
    burst of deadline steps leaves a letter per step behind it, and rendering them in the
    worker would hold its GIL against the steps themselves and add a render's tens of MB
    per activity thread to its memory (#16). The steps' commands come first; the letters
    follow as the CPU allows."""

    NICENESS = 10

    def __init__(self) -> None:
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # forkserver: the worker has threads, which a plain fork would copy mid-lock.
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=os.nice,
            initargs=(self.NICENESS,),
        )

    def render(self, letter: LetterContent) -> tuple[bytes, bytes]:
        try:
            return self._pool.submit(render, letter).result()
        except BrokenProcessPool:
            # The child died (killed, out of memory): the next letter gets a new one; this
            # one's activity is retried.
            self._pool = self._start()
            raise

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class LetterPress:
    """Renders a letter to PDF and DOCX and stores both in the document store; returns
    what the `LetterGenerated` event records of them (the PDF first: the letter of
    record; the DOCX for editing before it is signed)."""

    def __init__(
        self,
        documents: Documents,
        letterhead: Letterhead,
        renderer: BackgroundRenderer | None = None,
    ) -> None:
        self.documents = documents
        self.letterhead = letterhead
        #: where letters are rendered: a child process (the worker), else in this one
        self.renderer = renderer

    def press(self, letter: LetterContent) -> list[StoredLetterDocument]:
        if self.renderer is not None:
            pdf, docx = self.renderer.render(letter)
        else:
            # One at a time: rendering is CPU work under the GIL (threads gain nothing),
            # and each render holds tens of MB.
            with RENDERING:
                pdf, docx = render(letter)
        stored = []
        for media_type, extension, content in ((PDF, "pdf", pdf), (DOCX, "docx", docx)):
            sha256 = self.documents.put(content, media_type)
            name = letter_filename(letter.kind, letter.language, letter.dated, extension)
            stored.append(StoredLetterDocument(media_type, sha256, len(content), name))
        return stored
