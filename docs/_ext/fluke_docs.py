"""Fluke's own Sphinx extension.

* ``.. fluke-capabilities::`` renders the :class:`~fluke.backend.StorageCapabilities`
  of backend classes as a table, read from the code (never out of date).
* The benchmarks page (``benchmarks.md``, written by ``nox -s bench``) gets a
  chart of the ratio of every row, drawn as SVG at build time from its tables.
* Every Python code block must run in CI: a doctest/testcode block, or a
  ``literalinclude`` of a file CI runs. Any other Python block is a warning
  (``-W`` makes it an error), except on ``fluke_fragment_pages``.
"""

from __future__ import annotations

import html
import importlib
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_FIELDS = [
    ("user_metadata", "user metadata"),
    ("server_side_copy", "server-side copy"),
    ("native_checksum", "native checksum"),
    ("directory_markers", "directory markers"),
    ("preserves_mtime", "keeps mtimes"),
    ("atomic_no_clobber", "no-clobber enforced by the server"),
    ("max_concurrency", "concurrency"),
    ("min_part_size", "min part"),
    ("max_part_size", "max part"),
]


def _load(spec: str) -> Any:
    """``module:attr.attr`` or ``module:function(argument)``."""
    module, _, attribute = spec.partition(":")
    call = re.fullmatch(r"(\w+)\((\w*)\)", attribute)
    obj: Any = importlib.import_module(module)
    if call:
        return getattr(obj, call.group(1))(call.group(2))
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def _cell(value: object) -> str:
    if value is True:
        return "yes"
    if value is False or value is None:
        return "no" if value is False else "—"
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if isinstance(value, int) and value >= size and value % size == 0:
            return f"{value // size} {unit}"
    return str(value)


class CapabilitiesDirective(Directive):
    """A table of the capabilities of ``label=module:Class.attribute`` arguments."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        rows = []
        for line in self.content:
            label, _, spec = line.partition("=")
            caps = _load(spec.strip())
            if not hasattr(caps, "_fields"):
                caps = caps.capabilities
            rows.append([label.strip()] + [_cell(getattr(caps, name)) for name, _ in _FIELDS])
        table = nodes.table()
        group = nodes.tgroup(cols=len(_FIELDS) + 1)
        table += group
        for _ in range(len(_FIELDS) + 1):
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        group += head
        head += self._row(["backend"] + [title for _, title in _FIELDS])
        body = nodes.tbody()
        group += body
        for row in rows:
            body += self._row(row)
        return [table]

    @staticmethod
    def _row(cells: list[str]) -> nodes.row:
        row = nodes.row()
        for text in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=text)
            row += entry
        return row


# -- the benchmarks chart -------------------------------------------------------

_RATIO = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[x×]?\s*$")
_RATIO_VS = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*[x×]\s+([^,;]+)")


def benchmark_ratios(markdown: str) -> list[tuple[str, float]]:
    """``(row label, ratio)`` for every table row with a numeric ``ratio`` column."""
    out: list[tuple[str, float]] = []
    header: list[str] | None = None
    section = ""
    for line in markdown.splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if not line.strip().startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        column = next((i for i, name in enumerate(header) if "ratio" in name), None)
        if column is None or column >= len(cells):
            continue
        cell = cells[column].replace("**", "").replace("`", "")
        label = cells[0].replace("`", "")
        label = f"{section}: {label}" if section else label
        match = _RATIO.match(cell)
        if match:
            out.append((label, float(match.group(1))))
            continue
        # several ratios in one cell: "1.13x rclone, 0.92x fluke 0.5.0"
        for value, anchor in _RATIO_VS.findall(cell):
            out.append((f"{label} vs {anchor.strip()}", float(value)))
    return out


def ratio_chart_svg(ratios: list[tuple[str, float]], title: str) -> str:
    """A horizontal bar chart (SVG) of ``ratios``, with a line at 1.0."""
    bar, gap, label_width, width = 16, 6, 420, 300
    top = 40
    height = top + len(ratios) * (bar + gap) + 30
    peak = max([ratio for _, ratio in ratios] + [1.0])
    scale = width / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + width + 80}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="4" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for index, (label, ratio) in enumerate(ratios):
        y = top + index * (bar + gap)
        colour = "#2e8b57" if ratio >= 1 else "#c0392b"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar - 4}" text-anchor="end">'
            f"{html.escape(label[:70])}</text>"
            f'<rect x="{label_width}" y="{y}" width="{max(ratio * scale, 1):.1f}" '
            f'height="{bar}" fill="{colour}"/>'
            f'<text x="{label_width + ratio * scale + 4:.1f}" y="{y + bar - 4}">{ratio:g}</text>'
        )
    one = label_width + scale
    parts.append(
        f'<line x1="{one:.1f}" y1="{top - 6}" x2="{one:.1f}" y2="{height - 24}" '
        'stroke="#333" stroke-dasharray="4 3"/>'
        f'<text x="{one:.1f}" y="{height - 8}" text-anchor="middle">1.0</text></svg>'
    )
    return "".join(parts)


def _stamp(markdown: str) -> str:
    """The run's date and machine as the benchmarks page states them."""
    found = [
        line.strip(" -*")
        for line in markdown.splitlines()
        if re.match(r"^[\s*-]*\**(date|machine|run|when)\b", line, re.IGNORECASE)
    ]
    return "; ".join(found[:2]) or "date and machine: see the page"


def _benchmarks_chart(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname != "benchmarks":
        return
    if not benchmark_ratios(source[0]):
        return
    source[0] += (
        "\n\n## Ratios per row\n\nGenerated from the tables above when the site was built "
        "(a bar right of the dashed line is a ratio above 1.0).\n\n"
        '```{raw} html\n<img src="_static/benchmark-ratios.svg" alt="ratio of every row">\n```\n'
    )


def _write_chart(app: Sphinx, exception: Exception | None) -> None:
    """Draw the chart into the HTML output (also when the page came from the cache)."""
    page = Path(app.srcdir) / "benchmarks.md"
    if exception is not None or app.builder.format != "html" or not page.exists():
        return
    markdown = page.read_text("utf-8")
    ratios = benchmark_ratios(markdown)
    if ratios:
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        title = f"Ratio per row ({_stamp(markdown)})"
        (static / "benchmark-ratios.svg").write_text(ratio_chart_svg(ratios, title), "utf-8")


# -- every Python example runs -------------------------------------------------


def _check_python_blocks(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if docname in app.config.fluke_fragment_pages:
        return
    for block in doctree.findall(nodes.literal_block):
        language = block.get("language", "")
        if language not in ("python", "py", "python3"):
            continue
        if (
            block.get("testnodetype")
            or block.get("source")
            and block.get("source") != str(Path(app.srcdir) / (docname + ".rst"))
        ):
            continue  # a doctest/testcode, or a literalinclude of a file CI runs
        logger.warning(
            "a Python block that CI does not run (use testcode/doctest or literalinclude)",
            location=block,
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("fluke_fragment_pages", set(), "env")
    app.add_directive("fluke-capabilities", CapabilitiesDirective)
    app.connect("source-read", _benchmarks_chart)
    app.connect("build-finished", _write_chart)
    app.connect("doctree-read", _check_python_blocks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
