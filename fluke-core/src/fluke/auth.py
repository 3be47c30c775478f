"""Credentials for every backend (API.md's ``fluke.auth``).

Every name (``AWSAuth``, ``AzureAuth``, ``GCPAuth``, ``RemoteAuth``) is
provided by a plugin and resolved on first access.
"""

from fluke import _plugins

__all__: list[str] = []

__getattr__ = _plugins.module_getattr("auth", __name__)
