"""A dead endpoint fails at once, naming the endpoint (issue 17, finding 17).

Before, google-cloud-storage retried the refused connection for two minutes
(``RetryError: Timeout of 120.0s exceeded``). No timing is asserted here:
the error type shows that no retry loop ran (the SDK's retries end in
``RetryError``), and its text shows which endpoint was tried.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fluke_gcp._http import EndpointUnreachableError, endpoint_of
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_dead_storage_endpoint_is_named() -> None:
    bucket = "any-bucket"
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    auth = GCPAuth.for_emulator(endpoint)
    with pytest.raises(EndpointUnreachableError, match="refused") as raised:
        GCPStorageDir(auth, bucket)
    assert f"the GCS endpoint '{endpoint}'" in str(raised.value)
    assert isinstance(raised.value, OSError)
    with pytest.raises(EndpointUnreachableError, match=endpoint):
        GCPStorageFile(auth, bucket, "a.txt")


def test_unresolvable_endpoint_is_named() -> None:
    auth = GCPAuth.for_emulator("http://no-such-host.invalid:4443")
    with pytest.raises(EndpointUnreachableError, match="no-such-host.invalid:4443.*resolve"):
        GCPStorageDir(auth, "any-bucket")


def test_dead_token_endpoint_is_named_without_secrets(
    tmp_path: Path, gcs_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credentials step (an OAuth token request) is bounded the same way."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    token_endpoint = f"http://127.0.0.1:{_closed_port()}"
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "test",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": "fluke@test.iam.gserviceaccount.com",
                "client_id": "1234567890",
                "token_uri": f"{token_endpoint}/token?secret=SHOULD-NOT-SHOW",
            }
        )
    )
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)  # storage itself is alive
    auth = GCPAuth.from_service_account_key(str(path))
    with pytest.raises(EndpointUnreachableError, match="token endpoint") as raised:
        GCPStorageDir(auth, bucket)
    text = str(raised.value)
    assert repr(token_endpoint) in text
    assert "SHOULD-NOT-SHOW" not in text and "PRIVATE KEY" not in text


def test_endpoint_of_shows_no_userinfo_path_or_query() -> None:
    assert endpoint_of("https://user:pw@storage.example:8443/b/o?sig=s") == (
        "https://storage.example:8443"
    )
    assert endpoint_of("https://storage.googleapis.com/storage/v1/b") == (
        "https://storage.googleapis.com:443"
    )
    assert endpoint_of("http://[::1]/x") == "http://[::1]:80"
