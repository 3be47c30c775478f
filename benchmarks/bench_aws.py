"""fluke-aws benchmarks against one moto server, side by side in one run.

Upload a local directory of 500 files of 16 KiB and one file of 256 MiB to
S3, and download them back, with Fluke, with boto3 driven directly
(``upload_file``/``download_file``; a 16-thread pool for the small files) and
with the original Fluke 0.5.0 (which reaches moto through
``AWS_ENDPOINT_URL``). Fluke and boto3: best of two alternating runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BIG_MIB,
    SMALL_FILES,
    Row,
    best_of,
    compare,
    fluke_copier,
    old_fluke_dir_script,
    old_fluke_python,
    print_rows,
    run_old_fluke,
    servers,
    write_big,
    write_small,
)

KEY_ID, SECRET = "AKIAFLUKEBENCH000001", "fluke-bench-secret"

OLD_FLUKE_SCRIPT = old_fluke_dir_script(
    "AWSAuth",
    "AmazonS3Dir",
    "AWSAuth(aws_access_key_id=sys.argv[5], aws_secret_access_key=sys.argv[6])",
    ', create_if_missing=direction == "up"',
)


def main() -> list[Row]:
    """Run the measurements; return ``(label, value)`` rows."""
    from boto3.s3.transfer import TransferConfig

    from fluke_aws.auth import AWSAuth
    from fluke_aws.storage import AmazonS3Dir

    rows: list[Row] = []
    old_python = old_fluke_python()
    with servers.moto() as url, tempfile.TemporaryDirectory() as tmp:
        auth = AWSAuth(KEY_ID, SECRET, region="us-east-1", endpoint_url=url)
        client: Any = auth._client("s3")
        small = Path(tmp, "small")
        names = write_small(small)
        big = write_big(Path(tmp, "big", "big.bin")).parent
        for name in ("fluke", "sdk", "old"):
            client.create_bucket(Bucket=name)
        config = TransferConfig()

        def sdk_small_up() -> None:
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda n: client.upload_file(str(small / n), "sdk", f"small/{n}"), names
                    )
                )

        def sdk_small_down(dst: Path) -> None:
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda n: client.download_file("sdk", f"small/{n}", str(dst / n)), names
                    )
                )

        def sdk_big_up() -> None:
            client.upload_file(str(big / "big.bin"), "sdk", "big/big.bin", Config=config)

        def sdk_big_down(dst: Path) -> None:
            client.download_file("sdk", "big/big.bin", str(dst / "big.bin"), Config=config)

        fluke_up, fluke_down = fluke_copier(partial(AmazonS3Dir, auth, "fluke"))

        def old(src: Path, prefix: str, direction: str) -> Callable[[], float | str] | None:
            if old_python is None:
                return None
            # 0.5.0 lists dir markers as files: download what boto3 uploaded (no markers)
            bucket = "old" if direction == "up" else "sdk"
            args = [str(src), bucket, prefix, direction, KEY_ID, SECRET]
            env = {"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1"}
            return lambda: run_old_fluke(old_python, OLD_FLUKE_SCRIPT, args, env)

        for directory in ("fs", "ss", "os", "fb", "sb", "ob"):
            Path(tmp, directory).mkdir()
        cases = [
            (
                f"aws {SMALL_FILES} x 16 KiB upload",
                lambda: fluke_up(small, "small/"),
                sdk_small_up,
                old(small, "small/", "up"),
            ),
            (
                f"aws {SMALL_FILES} x 16 KiB download",
                lambda: fluke_down("small/", Path(tmp, "fs")),
                lambda: sdk_small_down(Path(tmp, "ss")),
                old(Path(tmp, "os"), "small/", "down"),
            ),
            (
                f"aws 1 x {BIG_MIB} MiB upload",
                lambda: fluke_up(big, "big/"),
                sdk_big_up,
                old(big, "big/", "up"),
            ),
            (
                f"aws 1 x {BIG_MIB} MiB download",
                lambda: fluke_down("big/", Path(tmp, "fb")),
                lambda: sdk_big_down(Path(tmp, "sb")),
                old(Path(tmp, "ob"), "big/", "down"),
            ),
        ]
        for label, fluke_call, sdk_call, old_call in cases:
            fluke_seconds, sdk_seconds = best_of(2, fluke_call, sdk_call)
            anchors: dict[str, float | str] = {"boto3": sdk_seconds}
            if old_call is not None:
                anchors["fluke 0.5.0"] = old_call()
            rows.append(compare(label, fluke_seconds, anchors))
        client.close()
    return rows


if __name__ == "__main__":
    print_rows(main())
