"""Deprecated: the exceptions' module path in Fluke 0.5.0; use :mod:`fluke.exceptions`.

Fluke 0.5.0 had no public exceptions module, so code written for it catches
``fluke._exceptions.InvalidPathError`` and the like. This module keeps that
code working: every name here *is* the class of :mod:`fluke.exceptions`
(``fluke._exceptions.InvalidPathError is fluke.exceptions.InvalidPathError``),
so ``except`` clauses catch what Fluke raises. Importing it warns with a
:class:`DeprecationWarning`; it will be removed in a future major release.
"""

from __future__ import annotations

import warnings

from fluke.exceptions import *  # noqa: F403 - the alias re-exports every exception
from fluke.exceptions import __all__ as __all__

warnings.warn(
    "fluke._exceptions is deprecated: import the exceptions from fluke.exceptions "
    "(the classes are the same)",
    DeprecationWarning,
    stacklevel=2,
)
