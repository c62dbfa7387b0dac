"""The pack as PDF: WeasyPrint prints the HTML page (fonts embedded, as subsets)."""

from __future__ import annotations

from weasyprint import HTML


def render(html: str) -> bytes:
    document: bytes = HTML(string=html).write_pdf()
    return document
