"""Charts drawn on the server by vl-convert: SVG, PNG, and a standalone HTML page.

vl-convert runs Vega-Lite and Vega in an embedded JavaScript engine. The page inlines that
engine's bundle of Vega, Vega-Lite and vega-embed, so it draws its chart with no network.
A render holds the interpreter (vl-convert keeps the GIL and renders one chart at a time).
"""

from __future__ import annotations

import html
import json
import re
from functools import cache

import vl_convert

from api.charts.specs import Chart, Spec, Table

CHART_FORMATS = ("svg", "png", "html")
PNG_SCALE = 2  # a PNG is the SVG's size in pixels, twice over: sharp on high-density screens

_MIMETYPES = {"svg": "image/svg+xml", "png": "image/png", "html": "text/html"}


def svg(spec: Spec) -> str:
    # The data is inline: no URL may be fetched while drawing.
    return vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])


def png(spec: Spec) -> bytes:
    return vl_convert.vegalite_to_png(spec, scale=PNG_SCALE, allowed_base_urls=[])


_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@cache
def script_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script (made once: about 900 kB, 1 to 2 s)."""
    bundle = vl_convert.javascript_bundle(snippet=_GLOBALS)
    # Nothing in it may end the <script> element that holds it.
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def script_json(value: object) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' nor '&' as such."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_STYLE = """
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; margin: 1.5rem; color: #111; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
.report { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 0.85rem; color: #444; max-width: 40rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.5rem; max-width: 40rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
thead th { background: #f0f0f0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tfoot th, tfoot td { font-weight: bold; background: #f7f7f7; }
.vega-bindings { margin-top: 0.5rem; }
"""

_DRAW = """
vegaEmbed("#chart", JSON.parse(document.getElementById("chart-spec").textContent),
          {mode: "vega-lite", renderer: "svg", actions: false})
  .catch(function (error) {
    document.getElementById("chart").textContent = "The chart could not be drawn: " + error;
  });
"""


_NUMERIC = ' class="n"'


def _cell(value: str | int, header: bool) -> str:
    numeric = isinstance(value, int)
    text = html.escape(str(value))
    klass = _NUMERIC if numeric else ""
    if header:
        return f'<th scope="row"{klass}>{text}</th>'
    return f"<td{klass}>{text}</td>"


def table_html(table: Table) -> str:
    numeric = (
        {i for i, v in enumerate(table.rows[0]) if isinstance(v, int)} if table.rows else set()
    )
    head = "".join(
        f'<th scope="col"{_NUMERIC if i in numeric else ""}>{html.escape(c)}</th>'
        for i, c in enumerate(table.columns)
    )
    body = "".join(
        "<tr>" + "".join(_cell(v, i in table.row_headers) for i, v in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    if not table.rows:
        body = f'<tr><td colspan="{len(table.columns)}">{html.escape(table.empty)}</td></tr>'
    foot = ""
    if table.foot is not None:
        foot = (
            "<tfoot><tr>"
            + "".join(_cell(v, i in table.row_headers) for i, v in enumerate(table.foot))
            + "</tr></tfoot>"
        )
    return (
        f"<table><caption>{html.escape(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead>{foot}<tbody>{body}</tbody></table>"
    )


def page(chart: Chart) -> str:
    """A standalone page: the chart, drawn in the browser by the inlined bundle, beside its
    numbers as a table. It loads nothing from the network."""
    title = html.escape(chart.title)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n<body><main>"
        f"<h1>{title}</h1>"
        '<div class="report">'
        '<figure><div id="chart"></div>'
        f"<figcaption>{html.escape(str(chart.spec.get('description', '')))}</figcaption></figure>"
        f"{table_html(chart.table)}"
        "</div></main>\n"
        f'<script type="application/json" id="chart-spec">{script_json(chart.interactive)}</script>\n'
        f"<script>{script_bundle()}</script>\n"
        f"<script>{_DRAW}</script>\n"
        "</body></html>\n"
    )


def chart_body(fmt: str, chart: Chart) -> tuple[str | bytes, str]:
    """The chart drawn as fmt (one of CHART_FORMATS), and its media type."""
    if fmt == "svg":
        return svg(chart.spec), _MIMETYPES[fmt]
    if fmt == "png":
        return png(chart.spec), _MIMETYPES[fmt]
    if fmt == "html":
        return page(chart), _MIMETYPES[fmt]
    raise ValueError(f"not a chart format: {fmt}")
