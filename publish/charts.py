"""Charts as SVG drawn on the server: bars with pygal, the actor hierarchy as a tree diagram.

The SVG goes inline into the page, readable without JavaScript. Our Content-Security-Policy
allows no inline script or style, so pygal's ``<script>``, ``<style>`` and script-only tooltips
are taken out of each chart, and its style sheet is served once, scoped to ``.chart``, at
``/charts.css``. Every chart has a table with the same numbers beside it (the template's job).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from xml.etree import ElementTree as ET

import pygal
from markupsafe import Markup

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
MAX_BARS = 15
_ROW = 26


def _config(rows: int) -> dict[str, object]:
    return {
        "js": [],
        "no_prefix": True,
        "disable_xml_declaration": True,
        "show_legend": False,
        "print_values": True,
        "width": 720,
        "height": 70 + _ROW * max(rows, 1),
        "style": pygal.style.Style(
            colors=("#0b5cad",),
            background="transparent",
            plot_background="#ffffff",
            font_family="system-ui, sans-serif",
            value_font_size=13,
            label_font_size=13,
        ),
        "margin": 8,
    }


def _clean(svg: str) -> Markup:
    """pygal's SVG without its script, its style element and its script-driven tooltips."""
    root = ET.fromstring(svg)  # comments are dropped by the parser
    parents = {child: parent for parent in root.iter() for child in parent}
    for node in list(root.iter()):
        tag = node.tag.rpartition("}")[2]
        if (
            tag in ("script", "style")
            or node.get("class") in ("tooltip", "value")
            and tag
            in (
                "g",
                "desc",
            )
        ):
            parents[node].remove(node)
        node.attrib.pop("style", None)
    root.attrib.pop("id", None)
    return Markup(ET.tostring(root, encoding="unicode"))


def _short(label: str, size: int = 34) -> str:
    """A label short enough to leave the bars room; the table beside has it whole."""
    return label if len(label) <= size else label[: size - 1].rstrip() + "…"


@lru_cache(maxsize=1024)
def bars(title: str, rows: tuple[tuple[str, int], ...]) -> Markup:
    """A horizontal bar chart of (label, count), largest first, at most ``MAX_BARS`` bars.

    Memoised: drawing is pure Python, and the same few charts (the landing page's, each
    actor's, each popular search's) are asked for again and again."""
    shown = sorted(rows, key=lambda r: (-r[1], r[0].casefold()))[:MAX_BARS]
    chart = pygal.HorizontalBar(**_config(len(shown)))
    chart.title = title
    shown = list(reversed(shown))  # pygal draws the first value at the bottom
    chart.x_labels = [_short(label) for label, _ in shown]
    chart.add(title, [count for _, count in shown])
    return _clean(chart.render(is_unicode=True))


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """pygal's style sheet, each rule scoped to a ``.chart`` container."""
    chart = pygal.HorizontalBar(**_config(1))
    chart.add("", [1])  # the series colours are only written for a chart that has one
    svg = chart.render(is_unicode=True)
    css = re.search(r"<style[^>]*>(.*?)</style>", svg, re.S)
    rules = []
    for rule in html.unescape(css.group(1) if css else "").split("}"):
        selectors, _, body = rule.partition("{")
        if not body.strip():
            continue
        scoped = ", ".join(f".chart {s.strip()}".strip() for s in selectors.split(","))
        rules.append(f"{scoped} {{{body}}}")
    return "\n".join(rules) + "\n"


def tree(title: str, rows: Sequence[tuple[int, str]]) -> Markup:
    """A hierarchy as an indented tree diagram: one box per (depth, text) row in walking
    order, with a line from each node to its parent above it."""
    height = 36 + _ROW * len(rows)
    svg = ET.Element(
        "svg",
        {"xmlns": SVG, "viewBox": f"0 0 720 {height}", "class": "hierarchy", "role": "img"},
    )
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "text", {"x": "8", "y": "20", "class": "title"}).text = title
    parent_y: dict[int, int] = {}
    for i, (depth, text) in enumerate(rows):
        x, y = 12 + 28 * depth, 36 + _ROW * i
        parent_y[depth] = y
        if depth and depth - 1 in parent_y:
            px = 12 + 28 * (depth - 1) + 7
            path = f"M{px},{parent_y[depth - 1] + 18} V{y + 11} H{x}"
            ET.SubElement(svg, "path", {"d": path, "class": "edge"})
        box = {"x": str(x), "y": str(y + 4), "width": "14", "height": "14", "rx": "3"}
        ET.SubElement(svg, "rect", {**box, "class": "node"})
        ET.SubElement(svg, "text", {"x": str(x + 22), "y": str(y + 16)}).text = text
    return Markup(ET.tostring(svg, encoding="unicode"))
