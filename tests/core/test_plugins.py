"""The plugin system: discovery, lazy names, install hints, conflicts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

import pluggy
import pytest

import fluke
from fluke import _plugins, hookspecs
from fluke.exceptions import PluginError

SDKS = ("boto3", "botocore", "azure", "google", "paramiko")


def test_core_registers_its_builtins_through_the_hooks() -> None:
    core = {plugin.name: plugin for plugin in fluke.plugins()}["fluke-core"]
    assert core.names["storage"] == ["LocalFile", "LocalDir"]
    assert core.names["queue"] == ["LocalQueue"]
    assert core.version


def test_builtin_names_resolve() -> None:
    from fluke.local import LocalDir

    assert _plugins.resolve("storage", "LocalDir", "fluke.storage") is LocalDir


def test_missing_provider_names_its_package() -> None:
    with pytest.raises(ImportError, match="pip install fluke-aws"):
        from fluke.storage import AmazonS3Dir  # type: ignore[attr-defined]  # noqa: F401
    with pytest.raises(ImportError, match="pip install fluke-ssh"):
        from fluke.auth import RemoteAuth  # type: ignore[attr-defined]  # noqa: F401
    with pytest.raises(ImportError, match="pip install fluke-azure"):
        from fluke.queues import AzureStorageQueue  # type: ignore[attr-defined]  # noqa: F401


def test_unknown_name_is_an_attribute_error() -> None:
    import fluke.storage

    with pytest.raises(AttributeError, match="NoSuchThing"):
        fluke.storage.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


class _Plugin:
    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    @hookspecs.hookimpl
    def fluke_storage_classes(self) -> Mapping[str, str]:
        return self._names


def _registry_of(*plugins: tuple[str, _Plugin]) -> _plugins.Registry:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    infos = {}
    for name, plugin in plugins:
        pm.register(plugin, name=name)
        infos[name] = _plugins.PluginInfo(name, None, None)
    return _plugins._collect(pm, infos)


def test_two_plugins_claiming_one_name_is_an_error_naming_both() -> None:
    first = ("first-plugin", _Plugin({"SameDir": "a.mod:SameDir"}))
    second = ("second-plugin", _Plugin({"SameDir": "b.mod:SameDir"}))
    with pytest.raises(
        PluginError, match="first-plugin.*second-plugin|second-plugin.*first-plugin"
    ):
        _registry_of(first, second)


def test_malformed_declaration_is_refused() -> None:
    with pytest.raises(PluginError, match="not-a-target"):
        _registry_of(("bad", _Plugin({"X": "not-a-target"})))


def test_declarations_load_lazily() -> None:
    registry = _registry_of(("lazy", _Plugin({"Json": "json:JSONDecoder"})))
    declaration = registry.find("storage", "Json")
    assert declaration is not None and declaration.plugin == "lazy"
    import json

    assert declaration.load() is json.JSONDecoder


def test_importing_fluke_imports_no_sdk() -> None:
    code = (
        "import sys, fluke, fluke.storage, fluke.queues, fluke.auth;"
        "from fluke.storage import LocalDir;"
        "fluke.plugins();"
        f"print([m for m in sys.modules if m.split('.')[0] in {SDKS!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_builtin_imports_do_not_discover_plugins() -> None:
    code = (
        "import sys; from fluke.storage import LocalDir, LocalFile;"
        "from fluke.queues import LocalQueue; print('pluggy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
