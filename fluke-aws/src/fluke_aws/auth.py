"""``AWSAuth``: credentials, region and endpoint for S3 and SQS.

One :class:`boto3.session.Session` is built per ``AWSAuth`` (lazily, the
first time a client is needed) and every S3/SQS backend made from it creates
its own thread-safe client from that session.
"""

from __future__ import annotations

import enum
import hashlib
import os
import threading
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

from fluke._urls import redact_url

__all__ = ["AWSAuth"]

#: Connections each client keeps in its pool (the transfer engine runs up to
#: 16 files at once, and multipart uploads add a few parts each).
MAX_POOL_CONNECTIONS = 32


def _optional_str(name: str, value: object) -> str | None:
    """``value`` if it is a non-empty str, ``None`` if it is ``None``.

    :raises TypeError: ``value`` is neither a str nor ``None``.
    :raises ValueError: ``value`` is the empty string.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} is empty: give a non-empty str, or None to leave it unset")
    return value


def _masked(value: str | None) -> str | None:
    """The first four characters of an access key id, the rest hidden."""
    if value is None:
        return None
    return value[:4] + "****"


class AWSAuth:
    """Credentials for Amazon Web Services (S3 and SQS).

    With both keys given, they are used as they are. Without keys, boto3's
    default credential chain applies (environment variables, the shared
    config/credentials files and ``profile``, container and instance roles).

    :param aws_access_key_id: the access key id, or ``None`` for the default chain.
    :param aws_secret_access_key: the secret access key (required with the key id).
    :param aws_session_token: a session token for temporary credentials.
    :param region: an :class:`AWSAuth.Region` or a region code such as ``"eu-west-1"``.
    :param profile: a named profile of the shared AWS config files.
    :param endpoint_url: the endpoint of an S3/SQS-compatible service (MinIO,
        Ceph, R2, an emulator). When ``None``, the ``AWS_ENDPOINT_URL`` (and
        ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_SQS``) environment
        variables are honoured, else AWS's own endpoints are used.
    :raises ValueError: only one of the two keys is given, or a session token
        without keys.
    :raises TypeError: a parameter is not a string.
    :raises ValueError: a parameter is the empty string (the message names it).
    """

    class Region(str, enum.Enum):
        """AWS region codes (``AWSAuth.Region.EUROPE_WEST_1.value == "eu-west-1"``)."""

        US_EAST_1 = "us-east-1"
        US_EAST_2 = "us-east-2"
        US_WEST_1 = "us-west-1"
        US_WEST_2 = "us-west-2"
        AFRICA_SOUTH_1 = "af-south-1"
        ASIA_PACIFIC_EAST_1 = "ap-east-1"
        ASIA_PACIFIC_SOUTH_1 = "ap-south-1"
        ASIA_PACIFIC_SOUTH_2 = "ap-south-2"
        ASIA_PACIFIC_NORTHEAST_1 = "ap-northeast-1"
        ASIA_PACIFIC_NORTHEAST_2 = "ap-northeast-2"
        ASIA_PACIFIC_NORTHEAST_3 = "ap-northeast-3"
        ASIA_PACIFIC_SOUTHEAST_1 = "ap-southeast-1"
        ASIA_PACIFIC_SOUTHEAST_2 = "ap-southeast-2"
        ASIA_PACIFIC_SOUTHEAST_3 = "ap-southeast-3"
        ASIA_PACIFIC_SOUTHEAST_4 = "ap-southeast-4"
        CANADA_CENTRAL_1 = "ca-central-1"
        CANADA_WEST_1 = "ca-west-1"
        CHINA_NORTH_1 = "cn-north-1"
        CHINA_NORTHWEST_1 = "cn-northwest-1"
        EUROPE_CENTRAL_1 = "eu-central-1"
        EUROPE_CENTRAL_2 = "eu-central-2"
        EUROPE_NORTH_1 = "eu-north-1"
        EUROPE_SOUTH_1 = "eu-south-1"
        EUROPE_SOUTH_2 = "eu-south-2"
        EUROPE_WEST_1 = "eu-west-1"
        EUROPE_WEST_2 = "eu-west-2"
        EUROPE_WEST_3 = "eu-west-3"
        ISRAEL_CENTRAL_1 = "il-central-1"
        MIDDLE_EAST_CENTRAL_1 = "me-central-1"
        MIDDLE_EAST_SOUTH_1 = "me-south-1"
        SOUTH_AMERICA_EAST_1 = "sa-east-1"
        US_GOV_EAST_1 = "us-gov-east-1"
        US_GOV_WEST_1 = "us-gov-west-1"

    def __init__(
        self,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        region: AWSAuth.Region | str | None = None,
        *,
        profile: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        key_id = _optional_str("aws_access_key_id", aws_access_key_id)
        secret = _optional_str("aws_secret_access_key", aws_secret_access_key)
        token = _optional_str("aws_session_token", aws_session_token)
        if (key_id is None) != (secret is None):
            raise ValueError(
                "aws_access_key_id and aws_secret_access_key must be given together "
                "(or neither, for the default credential chain)"
            )
        if token is not None and key_id is None:
            raise ValueError("aws_session_token needs aws_access_key_id and aws_secret_access_key")
        if isinstance(region, AWSAuth.Region):
            region = region.value
        self._region = _optional_str("region", region)
        self._profile = _optional_str("profile", profile)
        self._endpoint_url = _optional_str("endpoint_url", endpoint_url)
        if self._endpoint_url is not None and "://" not in self._endpoint_url:
            shown = self._endpoint_url.rpartition("@")[2]  # no user:password, even malformed
            raise ValueError(f"endpoint_url {shown!r} must be a URL such as http://host:port")
        self._key_id = key_id
        self.__secret = secret
        self.__token = token
        self._lock = threading.Lock()
        self._session: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to Dask workers, with fluke-dask) without the lock and boto3 session."""
        state = dict(self.__dict__)
        state["_lock"] = state["_session"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- public API ----------------------------------------------------------

    def get_credentials(self) -> dict[str, str | None]:
        """The configured credentials as boto3 keyword arguments.

        Keys: ``aws_access_key_id``, ``aws_secret_access_key``,
        ``aws_session_token``, ``region_name`` (``None`` where not given), plus
        ``profile_name`` and ``endpoint_url`` when set. This dict holds the
        secret: do not log it.
        """
        credentials: dict[str, str | None] = {
            "aws_access_key_id": self._key_id,
            "aws_secret_access_key": self.__secret,
            "aws_session_token": self.__token,
            "region_name": self._region,
        }
        if self._profile is not None:
            credentials["profile_name"] = self._profile
        if self._endpoint_url is not None:
            credentials["endpoint_url"] = self._endpoint_url
        return credentials

    def get_region(self) -> str | None:
        """The region given to the constructor (``None``: boto3's default)."""
        return self._region

    def get_endpoint_url(self, service: str | None = None) -> str | None:
        """The custom endpoint in effect for ``service`` (``"s3"``, ``"sqs"``), if any.

        The constructor's ``endpoint_url`` wins; else ``AWS_ENDPOINT_URL_<SERVICE>``,
        then ``AWS_ENDPOINT_URL``.
        """
        if self._endpoint_url is not None:
            return self._endpoint_url
        if service is not None:
            specific = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
            if specific:
                return specific
        return os.environ.get("AWS_ENDPOINT_URL") or None

    def __repr__(self) -> str:
        parts = [f"aws_access_key_id={_masked(self._key_id)!r}"]
        if self.__secret is not None:
            parts.append("aws_secret_access_key='****'")
        if self.__token is not None:
            parts.append("aws_session_token='****'")
        parts.append(f"region={self._region!r}")
        if self._profile is not None:
            parts.append(f"profile={self._profile!r}")
        if self._endpoint_url is not None:
            parts.append(f"endpoint_url={redact_url(self._endpoint_url, keep_user=False)!r}")
        return f"AWSAuth({', '.join(parts)})"

    __str__ = __repr__

    # -- used by the backends ------------------------------------------------

    def _boto_session(self) -> Any:
        """The boto3 session (built once, on first use). Call with ``_lock`` held."""
        if self._session is None:
            self._session = boto3.session.Session(
                aws_access_key_id=self._key_id,
                aws_secret_access_key=self.__secret,
                aws_session_token=self.__token,
                region_name=self._region,
                profile_name=self._profile,
            )
        return self._session

    def _client(self, service: str) -> Any:
        """A new botocore client for ``service`` (thread-safe once built)."""
        endpoint = self.get_endpoint_url(service)
        options: dict[str, Any] = {
            "max_pool_connections": MAX_POOL_CONNECTIONS,
            "retries": {"mode": "standard", "max_attempts": 5},
        }
        if service == "s3" and endpoint is not None:
            options["s3"] = {"addressing_style": "path"}
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            session = self._boto_session()
            region = self._region or session.region_name or "us-east-1"
            return session.client(
                service, region_name=region, endpoint_url=endpoint, config=Config(**options)
            )

    def _identity(self) -> str | None:
        """An opaque digest of the credentials in use (never the credentials).

        ``None`` when no credentials can be found.
        """
        with self._lock:
            credentials = self._boto_session().get_credentials()
        if credentials is None:
            return None
        frozen = credentials.get_frozen_credentials()
        digest = hashlib.sha256(f"{frozen.access_key}\0{frozen.secret_key}".encode())
        return digest.hexdigest()[:16]
