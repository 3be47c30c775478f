"""GCS's bucket-name rule; the shared checks are in ``tests/bucket_name_cases.py``."""

from __future__ import annotations

from pathlib import Path

import bucket_name_cases as cases
import pytest

import fluke.exceptions
from fluke_gcp import storage
from fluke_gcp._bucket_name import check_bucket_name
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile


@pytest.mark.parametrize(
    "name", [cases.BAD, "", "ab", "Upper", "-dash", "dot.", "a/b", "x" * 64, "a." + "y" * 64]
)
def test_invalid_names_are_refused_before_any_request(name: str) -> None:
    auth = GCPAuth.for_emulator(cases.dead_endpoint(), project_id="test")
    cases.assert_refused(
        name, lambda bucket: GCPStorageDir(auth, bucket), lambda b, p: GCPStorageFile(auth, b, p)
    )


def test_valid_names_pass() -> None:
    for name in ("abc", "my_bucket-1", "a.b.c", "x" * 63, ".".join(["y" * 63] * 3)):
        assert check_bucket_name(name) == name


def test_the_error_is_the_core_class() -> None:
    assert storage.InvalidBucketNameError is fluke.exceptions.InvalidBucketNameError


def test_url_with_invalid_bucket() -> None:
    cases.assert_urls_refused(
        "gs", auth=GCPAuth.for_emulator(cases.dead_endpoint(), project_id="test")
    )


@pytest.mark.parametrize("command", cases.CLI_COMMANDS)
def test_cli_exit_2_and_one_line(command: list[str], tmp_path: Path) -> None:
    """No credentials and no server needed: the name is refused first."""
    cases.assert_cli_exit_2(
        command, "gs", {"STORAGE_EMULATOR_HOST": cases.dead_endpoint()}, tmp_path
    )
