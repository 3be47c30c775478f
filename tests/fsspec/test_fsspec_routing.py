"""The fallback route: schemes no Fluke plugin claims go to fsspec; native plugins win."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, USER, Server

import fluke
from fluke.exceptions import InvalidPathError, OverwriteError
from fluke_fsspec import FsspecDir


def test_memory_url_opens_an_fsspec_dir() -> None:
    with fluke.dir("memory:///routing", create_if_missing=True) as folder:
        assert isinstance(folder, FsspecDir)
        assert folder.get_uri() == "memory:///routing/"


def test_native_plugins_win_over_fsspec() -> None:
    # fluke-aws is installed: s3:// is AmazonS3Dir, never fsspec's s3fs
    from fluke._plugins import registry

    assert registry().find("scheme", "s3").plugin != "fsspec"
    assert registry().find("scheme", "*").target == "fluke_fsspec._urls:open_fsspec"


def test_a_scheme_nobody_knows_is_refused_by_name() -> None:
    with pytest.raises(InvalidPathError, match="neither a Fluke plugin nor fsspec"):
        fluke.dir("nosuchscheme://host/x")


def test_auth_must_be_storage_options() -> None:
    with pytest.raises(TypeError, match="mapping of storage options"):
        fluke.dir("memory:///x", auth="password")


def test_password_of_the_url_is_never_shown(ftp_server: Server) -> None:
    url = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{ftp_server.port}/"
    with fluke.dir(url) as root:
        assert PASSWORD not in repr(root) and PASSWORD not in root.get_uri()
    with pytest.raises(Exception) as caught:
        fluke.dir(f"ftp://{USER}:wrong-{PASSWORD}@127.0.0.1:{ftp_server.port}/")
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)


def test_cli_reaches_ftp_through_fsspec(
    ftp_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    from fluke.cli import main

    base = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{ftp_server.port}/cli-area"
    with fluke.dir(base, create_if_missing=True) as area:
        area.write_file("hello.txt", b"hello over ftp")
    with pytest.raises(SystemExit) as done:
        main(["cat", f"{base}/hello.txt"])
    assert done.value.code == 0
    assert "hello over ftp" in capsys.readouterr().out


def test_ftp_no_clobber_is_declared_best_effort(ftp_target: object) -> None:
    with fluke.dir("memory:///caps", create_if_missing=True) as memory:
        assert memory._session.backend.capabilities.atomic_no_clobber
    with ftp_target.dir("", create_if_missing=True) as ftp:  # type: ignore[attr-defined]
        assert not ftp._session.backend.capabilities.atomic_no_clobber
        ftp.write_file("x.txt", b"first")
        with pytest.raises(OverwriteError):  # still refused between Fluke writers
            ftp.write_file("x.txt", b"second")
