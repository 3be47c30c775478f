"""Discovery of plugins and resolution of the names they declare.

One function, :func:`registry`, builds the pluggy ``PluginManager`` in a fixed
order (hookspecs, entry points of group ``fluke``, built-ins,
``check_pending``) and turns the hooks' declarations into a typed
:class:`Registry`. Nothing here imports a plugin's SDK: declarations are
resolved with :func:`importlib.import_module` only when asked for.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pluggy

from fluke import hookspecs
from fluke.exceptions import PluginError

logger = logging.getLogger("fluke.plugins")

Kind = Literal["storage", "queue", "auth", "scheme"]

#: Names and schemes our own provider packages declare, so that a missing
#: package can be named in the error (fsspec's ``known_implementations``).
KNOWN_PROVIDERS: Mapping[str, str] = {
    **dict.fromkeys(["AmazonS3File", "AmazonS3Dir", "AmazonSQSQueue", "AWSAuth"], "fluke-aws"),
    **dict.fromkeys(
        ["AzureBlobFile", "AzureBlobDir", "AzureStorageQueue", "AzureAuth"], "fluke-azure"
    ),
    **dict.fromkeys(["GCPStorageFile", "GCPStorageDir", "GCPAuth"], "fluke-gcp"),
    **dict.fromkeys(["RemoteFile", "RemoteDir", "RemoteAuth"], "fluke-ssh"),
    **dict.fromkeys(["s3", "sqs"], "fluke-aws"),
    **dict.fromkeys(["az", "abfs", "abfss", "azure-queue", "azq"], "fluke-azure"),
    **dict.fromkeys(["gs", "gcs"], "fluke-gcp"),
    **dict.fromkeys(["sftp", "ssh"], "fluke-ssh"),
}

_HOOKS: Mapping[Kind, str] = {
    "storage": "fluke_storage_classes",
    "queue": "fluke_queue_classes",
    "auth": "fluke_auth_classes",
    "scheme": "fluke_url_schemes",
}


@dataclass(frozen=True)
class Declaration:
    """One name declared by one plugin.

    :param name: the public name (or URL scheme).
    :param target: ``"module:attribute"``.
    :param plugin: the plugin's registered name.
    """

    name: str
    target: str
    plugin: str

    def load(self) -> object:
        """Import the target's module and return the attribute."""
        module_name, _, attribute = self.target.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, attribute)


@dataclass(frozen=True)
class PluginInfo:
    """An installed plugin: its name, distribution version and declarations."""

    name: str
    distribution: str | None
    version: str | None
    names: dict[Kind, list[str]] = field(default_factory=dict)


@dataclass
class Registry:
    """Every declaration of every installed plugin, by kind and name."""

    declarations: dict[Kind, dict[str, Declaration]]
    plugins: list[PluginInfo]

    def find(self, kind: Kind, name: str) -> Declaration | None:
        """The declaration of ``name``, or ``None``."""
        return self.declarations[kind].get(name)

    def names(self, kind: Kind) -> list[str]:
        """Every declared name of ``kind``, sorted."""
        return sorted(self.declarations[kind])


def _collect(pm: pluggy.PluginManager, plugins: dict[str, PluginInfo]) -> Registry:
    declarations: dict[Kind, dict[str, Declaration]] = {kind: {} for kind in _HOOKS}
    for kind, hook_name in _HOOKS.items():
        hook = getattr(pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            result = impl.function()
            if not isinstance(result, Mapping):
                raise PluginError(
                    f"Plugin {impl.plugin_name!r}: hook {hook_name} must return a mapping."
                )
            for name, target in result.items():
                if not isinstance(name, str) or not isinstance(target, str) or ":" not in target:
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r} declares {name!r} -> {target!r}; "
                        "expected a name and a 'module:attribute' string."
                    )
                previous = declarations[kind].get(name)
                if previous is not None:
                    raise PluginError(
                        f"Plugins {previous.plugin!r} and {impl.plugin_name!r} both declare "
                        f"the {kind} name {name!r}; uninstall one of them."
                    )
                declarations[kind][name] = Declaration(name, target, impl.plugin_name)
                plugins[impl.plugin_name].names.setdefault(kind, []).append(name)
    return Registry(declarations, sorted(plugins.values(), key=lambda p: p.name))


def build_plugin_manager() -> tuple[pluggy.PluginManager, dict[str, PluginInfo]]:
    """Build the PluginManager: hookspecs, entry points, built-ins, check."""
    from fluke import _builtin

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
    pm.register(_builtin, name="fluke-core")
    pm.check_pending()
    plugins: dict[str, PluginInfo] = {}
    for plugin_name, _plugin in pm.list_name_plugin():
        plugins[plugin_name] = PluginInfo(plugin_name, None, None)
    for plugin, dist in pm.list_plugin_distinfo():
        registered = pm.get_name(plugin)
        if registered is not None:
            plugins[registered] = PluginInfo(registered, dist.metadata["name"], dist.version)
    from importlib.metadata import PackageNotFoundError, version

    try:
        plugins["fluke-core"] = PluginInfo("fluke-core", "fluke-core", version("fluke-core"))
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        pass
    return pm, plugins


@functools.cache
def registry() -> Registry:
    """The registry of installed plugins, built once per process."""
    pm, plugins = build_plugin_manager()
    result = _collect(pm, plugins)
    logger.debug("fluke plugins: %s", [p.name for p in result.plugins])
    return result


def resolve(kind: Kind, name: str, module: str) -> object:
    """Return the object a plugin declares as ``name``, importing it now.

    :raises AttributeError: for a name no plugin or known package provides.
    :raises ImportError: for a known name whose package is not installed.
    """
    declaration = registry().find(kind, name)
    if declaration is not None:
        return declaration.load()
    package = KNOWN_PROVIDERS.get(name)
    if package is not None:
        raise ImportError(
            f"{module}.{name} is provided by the {package} package, which is not installed: "
            f"pip install {package}",
            name=module,
        )
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def module_getattr(kind: Kind, module: str) -> Callable[[str], object]:
    """A module-level ``__getattr__`` resolving plugin names of ``kind``."""

    def __getattr__(name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return resolve(kind, name, module)

    return __getattr__
