"""Parsing Azure Storage connection strings (no SDK needed).

Supports the forms the Azure portal, the CLI and Azurite hand out:

* ``DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=...``
* explicit ``BlobEndpoint=...;QueueEndpoint=...`` with an ``AccountKey`` or a
  ``SharedAccessSignature``;
* ``UseDevelopmentStorage=true`` (Azurite / the storage emulator on
  ``127.0.0.1:10000`` and ``:10001``), optionally with
  ``DevelopmentStorageProxyUri``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from fluke_azure._redact import RedactedValueError

#: The well-known, public account of the storage emulator (Azurite).
DEV_ACCOUNT_NAME = "devstoreaccount1"
DEV_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_DEV_PORTS = {"blob": 10000, "queue": 10001}


@dataclass(frozen=True)
class ConnectionSettings:
    """What a connection string says.

    :param account_name: the storage account's name.
    :param blob_url: the Blob service endpoint (no trailing ``/``).
    :param queue_url: the Queue service endpoint (no trailing ``/``).
    :param account_key: the shared key, if any.
    :param sas_token: the SAS token (without ``?``), if any.
    """

    account_name: str
    blob_url: str
    queue_url: str
    account_key: str | None = None
    sas_token: str | None = None


def _split(conn_string: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    parts = conn_string.strip().strip(";").split(";")
    for number, part in enumerate(parts, 1):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            # never quote the part: without its '=' it may well be a pasted key or SAS
            raise RedactedValueError(
                "Malformed Azure connection string: every part must be Key=Value "
                f"(part {number} of {len(parts)} is not)."
            )
        settings[key.strip().lower()] = value.strip()
    if not settings:
        raise RedactedValueError("The Azure connection string is empty.")
    return settings


def check_endpoint(name: str, url: str) -> str:
    """``url`` unless it carries a user name or password (Azure takes none in URLs).

    :raises RedactedValueError: it does; the message masks the user-info.
    """
    from fluke._urls import redact_url

    if "@" in urlsplit(url).netloc:
        raise RedactedValueError(
            f"{name} {redact_url(url, keep_user=False)!r} has a user name or password; "
            "Azure Storage endpoints take none (use a key, a SAS or a credential)."
        )
    return url


def account_from_url(url: str) -> str:
    """The account name of a service URL.

    ``https://acct.blob.core.windows.net`` gives ``acct``; path-style URLs of
    emulators (``http://127.0.0.1:10000/devstoreaccount1``) give the first
    path segment.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    segment = parts.path.strip("/").split("/", 1)[0]
    if segment and (host in ("localhost", "host.docker.internal") or host[:1].isdigit()):
        return segment
    if "." in host:
        return host.split(".", 1)[0]
    return segment or host


def parse(conn_string: str) -> ConnectionSettings:
    """Parse ``conn_string``; errors never quote the key or the SAS."""
    if not isinstance(conn_string, str):
        raise TypeError(f"conn_string must be a str, not {type(conn_string).__name__}")
    settings = _split(conn_string)
    if settings.get("usedevelopmentstorage", "").lower() == "true":
        proxy = settings.get("developmentstorageproxyuri")
        base = urlsplit(check_endpoint("DevelopmentStorageProxyUri", proxy)) if proxy else None
        scheme = base.scheme if base else "http"
        host = base.hostname if base and base.hostname else "127.0.0.1"
        urls = {
            service: f"{scheme}://{host}:{port}/{DEV_ACCOUNT_NAME}"
            for service, port in _DEV_PORTS.items()
        }
        return ConnectionSettings(DEV_ACCOUNT_NAME, urls["blob"], urls["queue"], DEV_ACCOUNT_KEY)
    name = settings.get("accountname")
    key = settings.get("accountkey") or None
    sas = (settings.get("sharedaccesssignature") or "").lstrip("?") or None
    protocol = settings.get("defaultendpointsprotocol", "https")
    suffix = settings.get("endpointsuffix", "core.windows.net")
    urls = {}
    for service in ("blob", "queue"):
        explicit = settings.get(f"{service}endpoint")
        if explicit:
            urls[service] = check_endpoint(f"{service.capitalize()}Endpoint", explicit.rstrip("/"))
        elif name:
            urls[service] = f"{protocol}://{name}.{service}.{suffix}"
        else:
            urls[service] = ""
    if not urls["blob"] and not urls["queue"]:
        raise RedactedValueError(
            "The Azure connection string names neither an AccountName nor a BlobEndpoint "
            "or QueueEndpoint."
        )
    if not name:
        name = account_from_url(urls["blob"] or urls["queue"])
    if key and not name:
        raise RedactedValueError(
            "The Azure connection string has an AccountKey but no AccountName."
        )
    return ConnectionSettings(name, urls["blob"], urls["queue"], key, sas)
