"""Issue 17 on the ``fluke`` command: links, exact output, prompts, bad text, broken pipes.

Every test runs the real command as a subprocess against local disk and the
local SQLite queue.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from fluke.cli import Redactor
from fluke.localqueue import LocalQueue

FLUKE = [sys.executable, "-m", "fluke"]


def run(*args: str | bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLUKE, *args],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def run_at_a_terminal(*args: str, answer: str) -> subprocess.CompletedProcess[str]:
    """Run with a terminal as stdin (so the command asks), answering ``answer``."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [*FLUKE, *args],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(terminal)
        os.write(controller, answer.encode())
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(controller)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


# -- finding 6: rm -r of a symlink to a folder removes the link only ----------


@pytest.mark.parametrize("flags", [["-r", "--yes"], ["-r", "--yes", "--json"], []])
def test_rm_of_a_link_to_a_folder_removes_only_the_link(tmp_path: Path, flags: list[str]) -> None:
    target = tmp_path / "target"
    (target / "sub").mkdir(parents=True)
    (target / "one.txt").write_text("1")
    (target / "sub" / "two.txt").write_text("2")
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    result = run("rm", *flags, str(link))
    assert result.returncode == 0, result.stderr
    assert not os.path.lexists(link)
    assert (target / "one.txt").read_text() == "1"
    assert (target / "sub" / "two.txt").read_text() == "2"
    if "--json" in flags:
        assert json.loads(result.stdout) == {"deleted": [str(link)]}


# -- finding 9 (CLI part): prompts never show a password or sig= -------------


def test_queue_clear_prompt_hides_the_password(tmp_path: Path) -> None:
    url = f"localq://user:Pr0mptPassw0rd@/{tmp_path}/q.db?queue=jobs"
    result = run_at_a_terminal("queue", "clear", url, answer="n\n")
    assert "Clear " in result.stdout  # it did ask
    assert result.returncode == 1
    assert "Pr0mptPassw0rd" not in result.stdout + result.stderr


def test_rm_prompt_hides_the_sas_signature(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(name)
    url = f"file://{folder}?sv=2024&sig=S1gnatureV4lue%3D"
    result = run_at_a_terminal("rm", "-r", url, answer="n\n")
    assert "Delete 2 files" in result.stdout  # it did ask
    assert result.returncode == 1 and sorted(os.listdir(folder)) == ["a.txt", "b.txt"]
    assert "S1gnatureV4lue" not in result.stdout + result.stderr


# -- finding 10: data is printed exactly, whatever the environment holds ------


def test_names_equal_to_environment_values_are_listed_exactly(tmp_path: Path) -> None:
    tmp_path = tmp_path / "backup-2024"  # even the folder's name holds the value
    tmp_path.mkdir()
    for name in ("testing.txt", "report-2024.csv", "Sup3rSecretAccessKeyValue.txt"):
        (tmp_path / name).write_text("x")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "Sup3rSecretAccessKeyValue",
        "DB_PASSWORD": "2024",
    }
    expected = ["Sup3rSecretAccessKeyValue.txt", "report-2024.csv", "testing.txt"]
    listed = run("ls", "--json", str(tmp_path), env=env)
    assert listed.returncode == 0 and json.loads(listed.stdout) == expected
    assert run("ls", str(tmp_path), env=env).stdout.splitlines() == expected
    usage = run("du", str(tmp_path), env=env)
    assert usage.stdout.endswith(f"\t{tmp_path}\n")


def test_queue_messages_are_printed_exactly(tmp_path: Path) -> None:
    url = f"localq://{tmp_path}/q.db?queue=jobs"
    messages = ["token-value-in-a-message", "https://x/?sv=1&sig=abc", "AccountKey=k3y;x=1"]
    env = {"MY_API_TOKEN": "token-value-in-a-message", "AZURE_CLIENT_SECRET": "abc-def-ghi"}
    assert run("queue", "push", url, *messages, env=env).returncode == 0
    assert sorted(json.loads(run("queue", "peek", "--json", url, env=env).stdout)) == sorted(
        messages
    )
    assert sorted(run("queue", "peek", url, env=env).stdout.splitlines()) == sorted(messages)
    assert run("queue", "poll", url, env=env).stdout.splitlines() == messages


def test_errors_still_hide_the_secrets_fluke_holds() -> None:
    redact = Redactor(
        {
            "AWS_SECRET_ACCESS_KEY": "Sup3rSecretAccessKeyValue",
            "AWS_ACCESS_KEY_ID": "AKIAIDENTIFIER",
            "AZURE_STORAGE_CONNECTION_STRING": "AccountName=a;AccountKey=QWNjb3VudEtleQ==;",
            "DB_PASSWORD": "2024",
            "AWS_ENDPOINT_URL": "http://user:EndpointPw@localhost:5000",
        }
    )
    redact.learn_url("sftp://me:CliPassw0rd@host/x")
    redact.learn_url("az://c/k?sv=1&sig=SasSignature%3D")
    message = redact(
        "failed with Sup3rSecretAccessKeyValue, QWNjb3VudEtleQ==, EndpointPw, CliPassw0rd, "
        "SasSignature=, https://u:Other@h/ and ?sig=anyOther; report-2024.csv by AKIAIDENTIFIER"
    )
    for secret in (
        "Sup3rSecret",
        "QWNjb3VudEtleQ",
        "EndpointPw",
        "CliPassw0rd",
        "SasSignature",
        "Other",
    ):
        assert secret not in message
    assert "report-2024.csv by AKIAIDENTIFIER" in message  # not secrets: left alone


def test_short_credential_values_do_not_garble_errors(tmp_path: Path) -> None:
    missing = tmp_path / "testing.txt"
    result = run("cat", str(missing), env={"AWS_SECRET_ACCESS_KEY": "testing"})
    assert result.returncode == 2 and "testing.txt" in result.stderr


# -- finding 12: text that is not UTF-8 is refused before anything is sent ----


def test_queue_push_of_non_utf8_is_bad_input(tmp_path: Path) -> None:
    url = f"localq://{tmp_path}/q.db?queue=jobs"
    result = run("queue", "push", url, "fine", b"\xff")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("fluke: ") and "0xff" in result.stderr
    assert "Traceback" not in result.stderr
    assert LocalQueue(str(tmp_path / "q.db"), "jobs").count() == 0  # not even "fine"


# -- finding 18: a closed pipe ends the command quietly -----------------------


def _read_one_line_and_close(args: list[str]) -> tuple[int, str]:
    process = subprocess.Popen(
        [*FLUKE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    stderr = process.stderr.read().decode()
    return process.wait(timeout=60), stderr


def test_ls_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    for index in range(4000):
        (tmp_path / f"file-with-a-rather-long-name-{index:05d}.txt").touch()
    for args in (["ls", str(tmp_path)], ["ls", "--json", str(tmp_path)]):
        status, stderr = _read_one_line_and_close(args)
        assert stderr == "" and status in (0, 141), (args, status, stderr)


def test_cat_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"line\n" * 2_000_000)
    status, stderr = _read_one_line_and_close(["cat", str(big)])
    assert stderr == "" and status in (0, 141), (status, stderr)
