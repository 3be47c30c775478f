"""``fluke._exceptions``: 0.5.0's module path, a deprecated alias (issue 16, fix 6)."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

import fluke.exceptions
from fluke.local import LocalDir

#: the exceptions Fluke 0.5.0's ``fluke._exceptions`` defined
NAMES_0_5_0 = [
    "InvalidPathError",
    "InvalidDirectoryError",
    "InvalidFileError",
    "NonStringMetadataKeyError",
    "NonStringMetadataValueError",
    "BucketNotFoundError",
    "ContainerNotFoundError",
    "OverwriteError",
    "InvalidChunkSizeError",
]


def _fresh_import() -> ModuleType:
    sys.modules.pop("fluke._exceptions", None)
    return importlib.import_module("fluke._exceptions")


def test_importing_it_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="fluke.exceptions"):
        _fresh_import()


def test_every_name_is_the_very_same_class() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        alias = _fresh_import()
        from fluke._exceptions import InvalidPathError
    assert InvalidPathError is fluke.exceptions.InvalidPathError
    for name in NAMES_0_5_0:
        assert getattr(alias, name) is getattr(fluke.exceptions, name), name
    assert alias.__all__ == fluke.exceptions.__all__
    for name in fluke.exceptions.__all__:
        assert getattr(alias, name) is getattr(fluke.exceptions, name), name


def test_a_0_5_0_except_clause_catches_what_fluke_raises(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fluke._exceptions import InvalidFileError, InvalidPathError
    with LocalDir(str(tmp_path)) as directory:
        with pytest.raises(InvalidFileError):
            directory.get_metadata("missing.txt")
    with pytest.raises(InvalidPathError):
        LocalDir(str(tmp_path / "missing"))
