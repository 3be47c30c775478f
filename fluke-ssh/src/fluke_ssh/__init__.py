"""fluke-ssh: SFTP storage (``RemoteFile``, ``RemoteDir``) and ``RemoteAuth``.

The public names are reached through :mod:`fluke.storage` and
:mod:`fluke.auth`; importing this package does not import paramiko.
"""

__all__: list[str] = []
__version__ = "1.0.0.dev0"
