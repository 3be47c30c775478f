"""CLI cold start: whole processes, side by side in one run.

* ``fluke ls s3://bucket/prefix/`` (100 keys) against ``aws s3 ls`` (awscli)
  and ``rclone ls`` on the same moto bucket, each a fresh process, through
  the same network as every other row (``run.py --rtt``).
* ``fluke --help``: wall milliseconds of the whole process (target < 150 ms),
  next to a bare ``python -c pass``.

Every command runs once untimed first, with bytecode caching allowed (a
real install has its ``.pyc`` files; ``PYTHONDONTWRITEBYTECODE`` would make
every start compile every module), then best of five, interleaved.

awscli runs from ``FLUKE_BENCH_AWSCLI`` (its ``aws`` executable) or from a
virtualenv built once under ``~/.cache/fluke-bench-awscli`` (``pip install
awscli``), so it cannot pin the SDK versions Fluke is measured with;
``FLUKE_BENCH_AWSCLI=off`` skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import Row, best_of, compare, moto_server, print_rows

KEYS = 100
KEY_ID, SECRET = "AKIAFLUKEBENCH000001", "fluke-bench-secret"
AWSCLI_HOME = Path.home() / ".cache" / "fluke-bench-awscli"
HELP_TARGET_MS = 150


def awscli() -> str | None:
    """The ``aws`` executable to compare with, or ``None`` (skipped)."""
    choice = os.environ.get("FLUKE_BENCH_AWSCLI", "auto")
    if choice.lower() in ("", "0", "off", "no", "false"):
        return None
    if choice != "auto":
        return choice
    aws = AWSCLI_HOME / "bin" / "aws"
    if not aws.exists():
        subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_HOME)], check=True)
        pip = [str(AWSCLI_HOME / "bin" / "python"), "-m", "pip", "install", "-q", "awscli"]
        subprocess.run(pip, check=True)
    return str(aws)


def _command(argv: list[str], env: dict[str, str], expect: int | None) -> Callable[[], None]:
    def run() -> None:
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stderr.strip()[-300:]}")
        if expect is not None:
            lines = [line for line in result.stdout.splitlines() if line.strip()]
            if len(lines) != expect:
                raise RuntimeError(f"{argv[0]} listed {len(lines)} lines, not {expect}")

    return run


def main() -> list[Row]:
    """Run the measurements; return ``(label, value)`` rows."""
    from fluke_aws.auth import AWSAuth

    rows: list[Row] = []
    bindir = Path(sys.executable).parent
    fluke = shutil.which("fluke", path=str(bindir)) or shutil.which("fluke")
    assert fluke is not None, "the fluke command is not installed"
    rclone = shutil.which("rclone")
    aws = awscli()
    # rclone's AWS SDK refuses AWS_CA_BUNDLE over plain HTTP: the endpoints here need none
    dropped = ("PYTHONDONTWRITEBYTECODE", "AWS_CA_BUNDLE")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    with moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        client: Any = AWSAuth(KEY_ID, SECRET, region="us-east-1", endpoint_url=url)._client("s3")
        client.create_bucket(Bucket="cli")
        for index in range(KEYS):
            client.put_object(Bucket="cli", Key=f"prefix/k{index:03d}.txt", Body=b"x" * index)
        client.close()
        env = {
            **base,
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": url,
            "AWS_CONFIG_FILE": str(Path(tmp, "aws-config")),
            "AWS_SHARED_CREDENTIALS_FILE": str(Path(tmp, "aws-credentials")),
            "RCLONE_CONFIG": str(Path(tmp, "rclone.conf")),
            "RCLONE_CONFIG_S3_TYPE": "s3",
            "RCLONE_CONFIG_S3_PROVIDER": "Other",
            "RCLONE_CONFIG_S3_ACCESS_KEY_ID": KEY_ID,
            "RCLONE_CONFIG_S3_SECRET_ACCESS_KEY": SECRET,
            "RCLONE_CONFIG_S3_ENDPOINT": url,
            "RCLONE_CONFIG_S3_REGION": "us-east-1",
        }
        calls: dict[str, Callable[[], None]] = {
            "fluke": _command([fluke, "ls", "s3://cli/prefix/"], env, KEYS)
        }
        if aws is not None:
            calls["aws s3 ls"] = _command([aws, "s3", "ls", "s3://cli/prefix/"], env, KEYS)
        if rclone is not None:
            calls["rclone ls"] = _command([rclone, "ls", "s3:cli/prefix/"], env, KEYS)
        for call in calls.values():
            call()  # warm: bytecode written, files in the page cache
        seconds = dict(zip(calls, best_of(5, *calls.values()), strict=True))
        fluke_seconds = seconds.pop("fluke")
        rows.append(
            compare(f"cli `fluke ls s3://...` {KEYS} keys, whole process", fluke_seconds, seconds)
        )
    help_call = _command([fluke, "--help"], base, None)
    bare = _command([sys.executable, "-c", "pass"], base, None)
    help_call()
    help_seconds, bare_seconds = best_of(5, help_call, bare)
    verdict = "met" if help_seconds * 1000 < HELP_TARGET_MS else "MISSED"
    rows.append(
        (
            f"cli `fluke --help`, whole process (bare python {bare_seconds * 1000:.0f} ms)",
            f"{help_seconds * 1000:.0f} ms (target < {HELP_TARGET_MS} ms: {verdict}; "
            f"load average {os.getloadavg()[0]:.1f})",
        )
    )
    return rows


if __name__ == "__main__":
    print_rows(main())
