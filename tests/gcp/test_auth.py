"""GCPAuth: the constructors, the emulator variable, and secrets never shown."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fluke.exceptions import InvalidPathError
from fluke_gcp.auth import GCPAuth, InvalidCredentialsError
from fluke_gcp.storage import GCPStorageDir

REFRESH_TOKEN = "1//refresh-token-SECRET-value"
CLIENT_SECRET = "client-secret-SECRET-value"


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _service_account(tmp_path: Path, private_key: str) -> Path:
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "my-project",
                "private_key_id": "0123456789abcdef",
                "private_key": private_key,
                "client_email": "fluke@my-project.iam.gserviceaccount.com",
                "client_id": "1234567890",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


def _assert_hidden(text: str, *secrets: str) -> None:
    assert "PRIVATE KEY" not in text
    for secret in secrets:
        assert secret not in text
        if len(secret) > 80:
            assert secret[40:80] not in text  # not even a fragment of a key


def test_service_account_key(tmp_path: Path, private_key: str) -> None:
    path = _service_account(tmp_path, private_key)
    auth = GCPAuth.from_service_account_key(str(path))
    # what 0.5.0 returned: the key's project is get_project_id(), not a key here
    assert auth.get_credentials() == {"sak": str(path)}
    assert auth.get_project_id() == "my-project"
    for text in (repr(auth), str(auth), json.dumps(auth.get_credentials())):
        _assert_hidden(text, private_key)
    with pytest.raises(TypeError):
        pickle.dumps(auth)


def test_service_account_key_errors_hide_the_key(tmp_path: Path, private_key: str) -> None:
    broken = private_key.replace("\n", "\nZZZ", 3)
    path = tmp_path / "broken.json"
    info = json.loads(_service_account(tmp_path, private_key).read_text())
    info["private_key"] = broken
    path.write_text(json.dumps(info))
    with pytest.raises(InvalidCredentialsError, match="broken.json") as raised:
        GCPAuth.from_service_account_key(str(path))
    _assert_hidden(str(raised.value), broken, private_key)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    wrong_type = tmp_path / "adc.json"
    wrong_type.write_text(json.dumps({"type": "authorized_user", "refresh_token": REFRESH_TOKEN}))
    with pytest.raises(InvalidCredentialsError, match="adc.json") as raised:
        GCPAuth.from_service_account_key(str(wrong_type))
    _assert_hidden(str(raised.value), REFRESH_TOKEN)
    not_json = tmp_path / "nope.json"
    not_json.write_text("not json " + CLIENT_SECRET)
    with pytest.raises(InvalidCredentialsError) as raised:
        GCPAuth.from_service_account_key(str(not_json))
    _assert_hidden(str(raised.value), CLIENT_SECRET)
    with pytest.raises(InvalidPathError, match="missing.json"):
        GCPAuth.from_service_account_key(str(tmp_path / "missing.json"))


def test_application_default_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "application_default_credentials.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "123.apps.googleusercontent.com",
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
            }
        )
    )
    auth = GCPAuth.from_application_default_credentials("proj", str(path))
    assert auth.get_credentials() == {"project_id": "proj", "adc": str(path)}
    for text in (repr(auth), str(auth)):
        _assert_hidden(text, CLIENT_SECRET, REFRESH_TOKEN)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "authorized_user", "client_secret": CLIENT_SECRET}))
    with pytest.raises(InvalidCredentialsError, match="bad.json") as raised:
        GCPAuth.from_application_default_credentials("proj", str(bad))
    _assert_hidden(str(raised.value), CLIENT_SECRET)


def test_application_default_credentials_from_environment(
    tmp_path: Path, private_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _service_account(tmp_path, private_key)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    auth = GCPAuth.from_default()
    assert auth.get_project_id() == "my-project"
    _assert_hidden(repr(auth), private_key)
    assert GCPAuth.from_default("explicit").get_project_id() == "explicit"


def test_emulator_host_is_honoured(
    gcs_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = gcs_endpoint.removeprefix("http://")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    auth = GCPAuth.for_emulator()
    assert auth.get_endpoint() == gcs_endpoint
    assert auth.get_credentials() == {"project_id": "test", "endpoint": gcs_endpoint}
    with GCPStorageDir(auth, bucket, "e/", create_if_missing=True) as directory:
        assert directory.get_contents() == []
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    with pytest.raises(ValueError, match="STORAGE_EMULATOR_HOST"):
        GCPAuth.for_emulator()


def test_plugin_imports_no_sdk() -> None:
    code = (
        "import sys, fluke_gcp.plugin\n"
        "from fluke import _plugins\n"
        "assert 'google.cloud.storage' not in sys.modules, 'SDK imported'\n"
        "from fluke.storage import GCPStorageDir, GCPStorageFile\n"
        "from fluke.auth import GCPAuth\n"
        "assert GCPStorageDir.__module__ == 'fluke_gcp.storage'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
