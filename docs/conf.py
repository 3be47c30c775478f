"""Sphinx configuration of Fluke's documentation site (``nox -s docs`` builds it)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

project = "Fluke"
author = "The Fluke authors"
copyright = "Fluke authors"  # noqa: A001 - Sphinx's name

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "sphinx_click",
    "myst_parser",
    "fluke_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "_generated", "README.md"]

#: Reference pages other helpers write (benchmarks, scale, migrating) are listed
#: only when present, so the site builds with or without them.
_REFERENCE = ["api", "migrating-from-0.5", "benchmarks", "scale"]
(HERE / "_generated").mkdir(exist_ok=True)
(HERE / "_generated" / "reference-toc.rst").write_text(
    ".. toctree::\n   :maxdepth: 1\n   :caption: Reference\n\n"
    + "".join(
        f"   {page}\n"
        for page in _REFERENCE
        if (HERE / f"{page}.rst").exists() or (HERE / f"{page}.md").exists()
    ),
    "utf-8",
)
html_theme = "furo"
html_title = "Fluke"
html_static_path: list[str] = []  # no static files of our own
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_inherit_docstrings = True

doctest_global_setup = """
import os, tempfile
_docs_tmp = tempfile.mkdtemp(prefix="fluke-docs-")
os.chdir(_docs_tmp)
"""

#: Pages whose Python blocks are fragments of code shown and tested elsewhere
#: (the plugin guide's snippets are the example plugin's own source, which
#: tests/core runs). Every other Python block must be a doctest, a testcode or a
#: literalinclude of a file CI runs; fluke_docs fails the build otherwise.
fluke_fragment_pages = {"plugins"}
