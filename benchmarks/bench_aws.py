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
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BEFORE,
    Mover,
    Row,
    before_mover,
    fluke_mover,
    many_download_row,
    moto_server,
    old_fluke_dir_script,
    old_fluke_python,
    pool_map,
    print_rows,
    run_old_fluke,
    up_down_rows,
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

    old_python = old_fluke_python()
    with moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        auth = AWSAuth(KEY_ID, SECRET, region="us-east-1", endpoint_url=url)
        client: Any = auth._client("s3")
        names = write_small(Path(tmp, "small"))
        write_big(Path(tmp, "big", "big.bin"))
        for name in ("fluke", "sdk", "old", "before"):
            client.create_bucket(Bucket=name)
        config = TransferConfig()

        def sdk(direction: str, prefix: str, local: Path) -> Callable[[], None]:
            up = direction == "up"
            if prefix == "small/":

                def one(name: str) -> None:
                    if up:
                        client.upload_file(str(local / name), "sdk", f"small/{name}")
                    else:
                        client.download_file("sdk", f"small/{name}", str(local / name))

                return lambda: pool_map(one, names)
            big, key = str(local / "big.bin"), "big/big.bin"
            if up:
                return lambda: client.upload_file(big, "sdk", key, Config=config)
            return lambda: client.download_file("sdk", key, big, Config=config)

        def old(direction: str, prefix: str, local: Path) -> Callable[[], float | str]:
            assert old_python is not None
            # 0.5.0 lists dir markers as files: download what boto3 uploaded (no markers)
            bucket = "old" if direction == "up" else "sdk"
            args = [str(local), bucket, prefix, direction, KEY_ID, SECRET]
            env = {"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1"}
            return lambda: run_old_fluke(old_python, OLD_FLUKE_SCRIPT, args, env)

        once: dict[str, Mover | None] = {
            "fluke 0.5.0": old if old_python else None,
            BEFORE: before_mover(
                "from fluke_aws.auth import AWSAuth\nfrom fluke_aws.storage import AmazonS3Dir",
                f"AmazonS3Dir(AWSAuth({KEY_ID!r}, {SECRET!r}, region='us-east-1', "
                f"endpoint_url={url!r}), 'before', prefix, create_if_missing=direction == 'up')",
            ),
        }
        fluke = fluke_mover(partial(AmazonS3Dir, auth, "fluke"))
        rows = up_down_rows("aws", Path(tmp), fluke, ("boto3", sdk), once)
        rows.append(many_download_row("aws", Path(tmp), fluke, once[BEFORE]))
        client.close()
    return rows


if __name__ == "__main__":
    print_rows(main())
