"""Fluke plugin for Google Cloud Storage.

Install it beside fluke-core and use the classes through the public modules::

    from fluke.auth import GCPAuth
    from fluke.storage import GCPStorageDir, GCPStorageFile

Importing this package (or :mod:`fluke_gcp.plugin`) does not import the
Google SDK; :mod:`fluke_gcp.storage` and :mod:`fluke_gcp.auth` do.
"""

__all__: list[str] = []

__version__ = "1.0.0.dev0"
