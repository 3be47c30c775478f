"""``GCPAuth``: how fluke-gcp authenticates with Google Cloud Storage.

Four ways to build one:

* :meth:`GCPAuth.from_application_default_credentials` - a project and an
  Application Default Credentials json file (API.md);
* :meth:`GCPAuth.from_service_account_key` - a service account key file (API.md);
* :meth:`GCPAuth.from_default` - ``google.auth.default()`` (environment,
  gcloud, metadata server);
* :meth:`GCPAuth.for_emulator` - anonymous credentials and an explicit
  endpoint, for fake-gcs-server and other emulators.

The credentials files are read once, at construction. ``repr``/``str`` and
every error show the kind of credentials, the project and the file *path*;
never a private key, a refresh token or an access token.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fluke.exceptions import FlukeError, InvalidPathError

__all__ = ["GCPAuth", "InvalidCredentialsError"]

#: environment variable naming a storage emulator (``host:port`` or a URL)
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


class InvalidCredentialsError(FlukeError, ValueError):
    """A credentials file exists but cannot be used (its content is never shown)."""

    def __init__(self, path: str, kind: str, reason: str) -> None:
        self.path = path
        super().__init__(f"Credentials file {path!r} is not a usable {kind}: {reason}.")


def _endpoint_from(value: str) -> str:
    """A full URL for ``value`` (``host:port`` gets ``http://``), without trailing ``/``."""
    value = value.strip().rstrip("/")
    if "://" not in value:
        value = "http://" + value
    return value


def _read_json(path: str, kind: str) -> dict[str, Any]:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidPathError(repr(path), "is not a credentials file path")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InvalidPathError(path, "is not an existing credentials file")
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except (OSError, ValueError) as error:
        raise InvalidCredentialsError(
            path, kind, f"not readable JSON ({type(error).__name__})"
        ) from None
    if not isinstance(info, dict):
        raise InvalidCredentialsError(path, kind, "not a JSON object")
    return info


class GCPAuth:
    """Credentials and project for Google Cloud Storage.

    Use the class methods; the constructor is internal.
    """

    _PROJECT_ID = "project_id"
    _APPLICATION_DEFAULT_CREDENTIALS = "adc"
    _SERVICE_ACCOUNT_KEY = "sak"

    def __init__(
        self,
        *,
        kind: str,
        credentials: Any,
        project_id: str | None,
        path: str | None = None,
        endpoint: str | None = None,
        identity: str = "",
    ) -> None:
        self._kind = kind
        self.__credentials = credentials  # google.auth Credentials; never shown
        self._project_id = project_id
        self._path = path
        self._endpoint = endpoint
        self._identity = identity

    # -- constructors ------------------------------------------------------

    @classmethod
    def from_application_default_credentials(cls, project_id: str, credentials: str) -> GCPAuth:
        """Authenticate with an Application Default Credentials json file.

        :param project_id: the GCP project's identifier.
        :param credentials: path to the ADC json file (``gcloud auth
            application-default login`` writes one; a service account key
            works too).
        :raises InvalidPathError: the file does not exist.
        :raises InvalidCredentialsError: the file is not usable credentials.
        """
        from fluke_gcp._sdk import oauth2_credentials, service_account

        kind = "application default credentials file"
        info = _read_json(credentials, kind)
        path = os.fspath(credentials)
        loaders = {
            "authorized_user": oauth2_credentials.Credentials.from_authorized_user_info,
            "service_account": service_account.Credentials.from_service_account_info,
        }
        loader = loaders.get(str(info.get("type")))
        if loader is None:
            raise InvalidCredentialsError(path, kind, f"its 'type' is not one of {sorted(loaders)}")
        try:
            creds = loader(info)
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidCredentialsError(path, kind, type(error).__name__) from None
        identity = str(info.get("client_email") or info.get("client_id") or info.get("type", ""))
        return cls(
            kind="application_default_credentials",
            credentials=creds,
            project_id=project_id,
            path=path,
            identity=identity,
        )

    @classmethod
    def from_service_account_key(cls, credentials: str) -> GCPAuth:
        """Authenticate with a service account key file (its project is used).

        :param credentials: path to the service account key json file.
        :raises InvalidPathError: the file does not exist.
        :raises InvalidCredentialsError: the file is not a usable key.
        """
        from fluke_gcp._sdk import service_account

        kind = "service account key file"
        info = _read_json(credentials, kind)
        path = os.fspath(credentials)
        if info.get("type") != "service_account":
            raise InvalidCredentialsError(path, kind, "its 'type' is not 'service_account'")
        try:
            creds = service_account.Credentials.from_service_account_info(info)
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidCredentialsError(path, kind, type(error).__name__) from None
        project = info.get("project_id")
        return cls(
            kind="service_account_key",
            credentials=creds,
            project_id=str(project) if project else None,
            path=path,
            identity=str(info.get("client_email", "")),
        )

    @classmethod
    def from_default(cls, project_id: str | None = None) -> GCPAuth:
        """Application Default Credentials found by ``google.auth.default()``.

        :param project_id: the project; ``None`` uses the one ADC reports.
        :raises InvalidCredentialsError: no default credentials are available.
        """
        from fluke_gcp._sdk import auth as google_auth
        from fluke_gcp._sdk import auth_exceptions

        try:
            creds, project = google_auth.default()
        except auth_exceptions.GoogleAuthError as error:
            raise InvalidCredentialsError(
                "<application default credentials>", "credentials", type(error).__name__
            ) from None
        return cls(
            kind="default",
            credentials=creds,
            project_id=project_id or project,
            identity=str(getattr(creds, "service_account_email", "") or type(creds).__name__),
        )

    @classmethod
    def for_emulator(cls, endpoint: str | None = None, project_id: str = "test") -> GCPAuth:
        """Anonymous credentials for a storage emulator such as fake-gcs-server.

        :param endpoint: the emulator's URL (``http://127.0.0.1:4443``) or
            ``host:port``; ``None`` reads ``STORAGE_EMULATOR_HOST``.
        :param project_id: the project name the emulator should see.
        :raises ValueError: no endpoint given and ``STORAGE_EMULATOR_HOST`` unset.
        """
        from fluke_gcp._sdk import auth_credentials

        value = endpoint or os.environ.get(EMULATOR_ENV)
        if not value:
            raise ValueError(f"for_emulator() needs an endpoint or ${EMULATOR_ENV}")
        return cls(
            kind="emulator",
            credentials=auth_credentials.AnonymousCredentials(),
            project_id=project_id,
            endpoint=_endpoint_from(value),
            identity="anonymous",
        )

    # -- accessors ---------------------------------------------------------

    def get_credentials(self) -> dict[str, str]:
        """What this auth was built from (paths and names only, never key material).

        As Fluke 0.5.0: ``{"project_id": ..., "adc": path}`` for ADC files and
        ``{"sak": path}`` for service account keys (the key's project is
        :meth:`get_project_id`). Auths 0.5.0 did not have give
        ``{"project_id": ..., "endpoint": ...}`` (emulators) or
        ``{"project_id": ...}`` (:meth:`from_default`), leaving out what is
        ``None``.
        """
        if self._kind == "service_account_key" and self._path is not None:
            return {self._SERVICE_ACCOUNT_KEY: self._path}
        result: dict[str, str] = {}
        if self._project_id is not None:
            result[self._PROJECT_ID] = self._project_id
        if self._kind == "application_default_credentials" and self._path is not None:
            result[self._APPLICATION_DEFAULT_CREDENTIALS] = self._path
        if self._endpoint is not None:
            result["endpoint"] = self._endpoint
        return result

    def get_project_id(self) -> str | None:
        """The project the client is created for."""
        return self._project_id

    def get_endpoint(self) -> str | None:
        """The storage endpoint: explicit, else ``STORAGE_EMULATOR_HOST``, else ``None``."""
        if self._endpoint is not None:
            return self._endpoint
        value = os.environ.get(EMULATOR_ENV)
        return _endpoint_from(value) if value else None

    def _google_credentials(self) -> Any:
        """The google.auth credentials object (internal; holds secrets)."""
        return self.__credentials

    def _identity_key(self) -> str:
        """A non-secret key equal for two auths using the same principal."""
        return f"{self._kind}:{self._identity}:{self._path or ''}"

    def __repr__(self) -> str:
        parts = [f"kind={self._kind!r}", f"project_id={self._project_id!r}"]
        if self._path is not None:
            parts.append(f"credentials={self._path!r}")
        if self._endpoint is not None:
            parts.append(f"endpoint={self._endpoint!r}")
        return f"GCPAuth({', '.join(parts)})"

    __str__ = __repr__

    def __getstate__(self) -> None:
        raise TypeError("GCPAuth cannot be pickled (it holds credentials)")
