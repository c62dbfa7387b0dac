"""The pack as one printable HTML page (Jinja2), its charts inline SVG; pdf.py prints
this same page, so the two cannot differ."""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from services.reporting.pack import Pack

_ENV = Environment(
    loader=PackageLoader("services.reporting", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def cell(value: Any, kind: str) -> str:
    """A cell as a person reads it: thousands separated, per cents with their sign, a
    dash for nothing to divide by."""
    if value is None:
        return "—"
    if kind == "number":
        kind = "int" if isinstance(value, int) else "float"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        return f"{float(value):,.1f}"
    if kind == "percent":
        return f"{float(value):.1f} %"
    return str(value)


def render(pack: Pack, *, made_on: date | None = None) -> str:
    template = _ENV.get_template("annual.html.j2")
    return template.render(
        pack=pack,
        cell=cell,
        charts=[(title, Markup(chart)) for title, chart in pack.charts],
        made_on=(made_on or date.today()).isoformat(),
    )
