"""The fluke-ssh plugin: declarations only (importing it imports no paramiko)."""

from __future__ import annotations

from collections.abc import Mapping

from fluke.hookspecs import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``RemoteFile`` and ``RemoteDir``."""
    return {
        "RemoteFile": "fluke_ssh.storage:RemoteFile",
        "RemoteDir": "fluke_ssh.storage:RemoteDir",
    }


@hookimpl
def fluke_auth_classes() -> Mapping[str, str]:
    """Declare ``RemoteAuth``."""
    return {"RemoteAuth": "fluke_ssh.auth:RemoteAuth"}


@hookimpl
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare ``sftp://user@host:port/path``."""
    return {"sftp": "fluke_ssh._urls:open_sftp"}
