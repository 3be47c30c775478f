"""``AzureAuth``: how Fluke authenticates to an Azure Storage account.

Five ways to build one (API.md names the first two):

* :meth:`AzureAuth.from_conn_string` — a storage connection string, including
  Azurite's ``UseDevelopmentStorage=true`` and explicit ``BlobEndpoint=`` /
  ``QueueEndpoint=`` forms;
* :meth:`AzureAuth.from_service_principal` — an Entra ID app (tenant, client id,
  client secret) for an account URL;
* :meth:`AzureAuth.from_account_key` — an account URL and its shared key;
* :meth:`AzureAuth.from_sas_token` — an account URL and a SAS token;
* :meth:`AzureAuth.from_default_credential` — ``DefaultAzureCredential``
  (environment, managed identity, Azure CLI...) for an account URL.

``account_url`` is the Blob service endpoint
(``https://<account>.blob.core.windows.net``); the Queue endpoint is derived
from it (``.blob.`` becomes ``.queue.``) unless ``queue_url`` is given.

``repr()``/``str()`` show the method and the account name only; keys, SAS
tokens and client secrets never appear in them or in Fluke's error messages.
Only :meth:`AzureAuth.get_credentials` returns them, because it is asked to.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from fluke._urls import redact_url
from fluke_azure import _connstr
from fluke_azure._redact import RedactedValueError, install_log_filter, redact

if TYPE_CHECKING:
    from azure.core.pipeline.transport import RequestsTransport
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

__all__ = ["AzureAuth"]

logger = logging.getLogger("fluke.azure")

#: Connections kept per client: enough for the transfer engine's threads.
POOL_SIZE = 32


def _check_str(name: str, value: object) -> str:
    """``value`` without surrounding whitespace (never shown in an error).

    :raises TypeError: ``value`` is not a str.
    :raises ValueError: ``value`` is empty or only whitespace.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a non-empty str, not {type(value).__name__}")
    if not value.strip():
        blank = "empty" if not value else "only whitespace"
        raise ValueError(f"{name} is {blank}: give a non-empty str")
    return value.strip()


def _service_url(name: str, url: object) -> str:
    """``url`` without query or trailing ``/``; it must be http(s)."""
    text = _check_str(name, url)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        shown = redact(redact_url(text, keep_user=False))
        raise RedactedValueError(f"{name} {shown!r} is a malformed URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        shown = redact(redact_url(bare, keep_user=False))
        raise RedactedValueError(f"{name} {shown!r} is not an http(s) URL of a storage service.")
    _connstr.check_endpoint(name, text)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _queue_url_for(blob_url: str) -> str:
    parts = urlsplit(blob_url)
    host = parts.netloc.replace(".blob.", ".queue.", 1)
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


#: Bytes read from a response at a time.
READ_BLOCK = 1024 * 1024


def make_transport() -> RequestsTransport:
    """A requests transport whose pool holds :data:`POOL_SIZE` connections."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter

    install_log_filter()
    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE))
    from fluke_azure import _connect

    # Bounded connects (reads keep the transport's long default): see _connect.
    # Downloads are read in blocks of READ_BLOCK (azure-core's default, 4 KiB,
    # made a 256 MiB download cost 65,536 Python iterations).
    return RequestsTransport(
        session=session,
        session_owner=True,
        connection_timeout=_connect.CONNECT_TIMEOUT,
        connection_data_block_size=READ_BLOCK,
    )


class AzureAuth:
    """Credentials for one Azure Storage account (Blob and Queue services).

    Build it with one of the ``from_*`` class methods.
    """

    def __init__(
        self,
        *,
        method: str,
        account_name: str,
        blob_url: str,
        queue_url: str,
        given: dict[str, str],
        account_key: str | None = None,
        sas_token: str | None = None,
        token_factory: Any = None,
    ) -> None:
        """Prefer the ``from_*`` class methods; this stores what they parsed."""
        self._method = method
        self._account_name = account_name
        self._blob_url = blob_url
        self._queue_url = queue_url
        self._given = dict(given)
        self._account_key = account_key
        self._sas_token = sas_token
        self._token_factory = token_factory
        self._token_credential: Any = None
        self._user_delegation: tuple[Any, datetime] | None = None
        self._lock = threading.Lock()

    # -- constructors ------------------------------------------------------

    @classmethod
    def from_conn_string(cls, conn_string: str) -> AzureAuth:
        """Authenticate with a storage account connection string.

        :param conn_string: as given by the portal/CLI, or Azurite's
            ``UseDevelopmentStorage=true`` / explicit-endpoint strings.
        :raises RedactedValueError: the string is malformed (the message
            never quotes the key or the SAS).
        """
        settings = _connstr.parse(conn_string)
        return cls(
            method="connection string",
            account_name=settings.account_name,
            blob_url=settings.blob_url,
            queue_url=settings.queue_url,
            given={"conn_string": conn_string},
            account_key=settings.account_key,
            sas_token=settings.sas_token,
        )

    @classmethod
    def from_service_principal(
        cls,
        account_url: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        queue_url: str | None = None,
    ) -> AzureAuth:
        """Authenticate as an Entra ID service principal (client secret).

        :param account_url: the Blob service URL of the storage account.
        :param queue_url: the Queue service URL, if it cannot be derived.
        :raises ValueError: ``tenant_id``, ``client_id`` or ``client_secret``
            is empty (the message names which, never its value).
        """
        blob_url = _service_url("account_url", account_url)
        tenant = _check_str("tenant_id", tenant_id)
        client = _check_str("client_id", client_id)
        secret = _check_str("client_secret", client_secret)

        def factory() -> Any:
            from azure.identity import ClientSecretCredential

            return ClientSecretCredential(tenant, client, secret)

        return cls(
            method="service principal",
            account_name=_connstr.account_from_url(blob_url),
            blob_url=blob_url,
            queue_url=_service_url("queue_url", queue_url)
            if queue_url
            else _queue_url_for(blob_url),
            given={
                "account_url": account_url,
                "tenant_id": tenant,
                "client_id": client,
                "client_secret": secret,
            },
            token_factory=factory,
        )

    @classmethod
    def from_account_key(
        cls,
        account_url: str,
        account_key: str,
        *,
        account_name: str | None = None,
        queue_url: str | None = None,
    ) -> AzureAuth:
        """Authenticate with the account's shared key.

        :param account_name: defaults to the name in ``account_url``.
        """
        blob_url = _service_url("account_url", account_url)
        key = _check_str("account_key", account_key)
        name = account_name or _connstr.account_from_url(blob_url)
        return cls(
            method="account key",
            account_name=name,
            blob_url=blob_url,
            queue_url=_service_url("queue_url", queue_url)
            if queue_url
            else _queue_url_for(blob_url),
            given={"account_url": account_url, "account_key": key, "account_name": name},
            account_key=key,
        )

    @classmethod
    def from_sas_token(
        cls, account_url: str, sas_token: str, *, queue_url: str | None = None
    ) -> AzureAuth:
        """Authenticate with a shared access signature (account or service SAS)."""
        blob_url = _service_url("account_url", account_url)
        sas = _check_str("sas_token", sas_token).lstrip("?")
        return cls(
            method="SAS token",
            account_name=_connstr.account_from_url(blob_url),
            blob_url=blob_url,
            queue_url=_service_url("queue_url", queue_url)
            if queue_url
            else _queue_url_for(blob_url),
            given={"account_url": account_url, "sas_token": sas},
            sas_token=sas,
        )

    @classmethod
    def from_default_credential(
        cls, account_url: str, *, queue_url: str | None = None, **credential_options: Any
    ) -> AzureAuth:
        """Authenticate with ``azure.identity.DefaultAzureCredential``.

        :param credential_options: passed to ``DefaultAzureCredential``.
        """
        blob_url = _service_url("account_url", account_url)

        def factory() -> Any:
            from azure.identity import DefaultAzureCredential

            return DefaultAzureCredential(**credential_options)

        return cls(
            method="default credential",
            account_name=_connstr.account_from_url(blob_url),
            blob_url=blob_url,
            queue_url=_service_url("queue_url", queue_url)
            if queue_url
            else _queue_url_for(blob_url),
            given={"account_url": account_url},
            token_factory=factory,
        )

    # -- public accessors --------------------------------------------------

    def get_credentials(self) -> dict[str, str]:
        """The values this auth was built from (secrets included, on request)."""
        return dict(self._given)

    def get_account_name(self) -> str:
        """The storage account's name."""
        return self._account_name

    def get_method(self) -> str:
        """How this auth authenticates (``"connection string"``, ``"SAS token"``...)."""
        return self._method

    def __repr__(self) -> str:
        return f"AzureAuth(method={self._method!r}, account={self._account_name!r})"

    __str__ = __repr__

    # -- for the backends --------------------------------------------------

    @property
    def blob_url(self) -> str:
        """The Blob service endpoint."""
        return self._blob_url

    @property
    def queue_url(self) -> str:
        """The Queue service endpoint."""
        return self._queue_url

    def secrets(self) -> tuple[str | None, ...]:
        """Every secret this auth holds, for redacting messages."""
        return (
            self._account_key,
            self._sas_token,
            self._given.get("client_secret"),
            self._given.get("conn_string"),
        )

    def _credential(self) -> Any:
        if self._account_key:
            from azure.core.credentials import AzureNamedKeyCredential

            return AzureNamedKeyCredential(self._account_name, self._account_key)
        if self._sas_token:
            from azure.core.credentials import AzureSasCredential

            return AzureSasCredential(self._sas_token)
        if self._token_factory is not None:
            with self._lock:
                if self._token_credential is None:
                    self._token_credential = self._token_factory()
                return self._token_credential
        return None

    def blob_service_client(self) -> BlobServiceClient:
        """A new Blob service client with its own connection pool."""
        from azure.storage.blob import BlobServiceClient

        from fluke_azure import _connect

        if not self._blob_url:
            raise RedactedValueError(f"{self!r} has no Blob service endpoint.")
        return BlobServiceClient(
            self._blob_url,
            credential=self._credential(),
            transport=make_transport(),
            retry_policy=_connect.BlobRetry(),
            max_single_get_size=4 * 1024 * 1024,
            max_chunk_get_size=4 * 1024 * 1024,
        )

    def queue_client(self, queue: str) -> QueueClient:
        """A new client for queue ``queue`` (messages are handled as text)."""
        from azure.storage.queue import QueueClient

        from fluke_azure import _connect

        if not self._queue_url:
            raise RedactedValueError(f"{self!r} has no Queue service endpoint.")
        return QueueClient(
            self._queue_url,
            queue,
            credential=self._credential(),
            transport=make_transport(),
            retry_policy=_connect.QueueRetry(),
        )

    def read_sas_for(self, container: str, blob: str, service: Any = None) -> str | None:
        """A SAS allowing to read ``container/blob`` (for server-side copies).

        With a shared key, a fresh one-hour read-only blob SAS; with a SAS
        token, that token; with Entra ID credentials, a user delegation SAS
        when ``service`` (a ``BlobServiceClient``) can get a delegation key,
        else ``None`` (the copy then relies on the destination's credential).
        """
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        now = datetime.now(timezone.utc)
        if self._account_key:
            return str(
                generate_blob_sas(
                    self._account_name,
                    container,
                    blob,
                    account_key=self._account_key,
                    permission=BlobSasPermissions(read=True),
                    start=now - timedelta(minutes=5),
                    expiry=now + timedelta(hours=1),
                )
            )
        if self._sas_token:
            return self._sas_token
        if self._token_factory is None or service is None:
            return None
        key = self._delegation_key(service, now)
        if key is None:
            return None
        return str(
            generate_blob_sas(
                self._account_name,
                container,
                blob,
                user_delegation_key=key,
                permission=BlobSasPermissions(read=True),
                start=now - timedelta(minutes=5),
                expiry=now + timedelta(hours=1),
            )
        )

    def _delegation_key(self, service: Any, now: datetime) -> Any:
        """A user delegation key valid for at least another hour (cached)."""
        from azure.core.exceptions import AzureError

        with self._lock:
            cached = self._user_delegation
            if cached is not None and cached[1] - now > timedelta(hours=1, minutes=5):
                return cached[0]
            expiry = now + timedelta(hours=3)
            try:
                key = service.get_user_delegation_key(now - timedelta(minutes=5), expiry)
            except AzureError as error:
                logger.debug(
                    "no user delegation key for %r (%s); copying without a SAS",
                    self._account_name,
                    type(error).__name__,
                )
                return None
            self._user_delegation = (key, expiry)
            return key
