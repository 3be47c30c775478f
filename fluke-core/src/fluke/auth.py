"""Credentials for every backend (API.md's ``fluke.auth``).

Every name (``AWSAuth``, ``AzureAuth``, ``GCPAuth``, ``RemoteAuth``) is
provided by a plugin and resolved on first access.
"""

__all__: list[str] = []


def __getattr__(name: str) -> object:
    # Plugin names resolve on first access; pluggy is imported only then.
    if name.startswith("__"):  # importlib probes __path__ etc.: no plugin discovery for that
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from fluke import _plugins

    return _plugins.module_getattr("auth", __name__)(name)
