"""Scale benchmarks (issue 11), side by side in one run.

* The engine alone at 100,000 and 1,000,000 files (``_scale_engine_child.py``:
  a synthetic in-memory source, a counting sink): files/s and peak RSS, each
  in a fresh child interpreter, for this engine and for the engine before
  issue 11 (commit :data:`BEFORE_COMMIT`, extracted with ``git archive``).
  Targets: peak RSS <= 300 MiB at 1M, <= +50 MiB from 100k to 1M, files/s not
  below the engine before.
* The journal: the same 100k files with ``journal=``: files/s and journal
  bytes per file.
* Listing 100,000 keys on moto (100 prefixes of 1,000): the plan room's
  sharded, concurrent listing vs one sequential recursive listing: time to
  the first file handed to the copy, and total listing time. The engine
  before issue 11 listed everything before copying: its first file started
  after the whole sequential listing.
* 2,000 files of 16 KiB local -> S3 on a Dask ``LocalCluster`` (2 worker
  processes) vs the thread pool, when fluke-dask is installed: Dask's
  overhead must stay within 30%.

``FLUKE_BENCH_SCALE_FILES`` (default ``100000,1000000``) and
``FLUKE_BENCH_SCALE_KEYS`` (default ``100000``) shrink the runs;
``FLUKE_BENCH_SCALE_BEFORE=off`` skips the engine before.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import REPO, Row, servers

BEFORE_COMMIT = "b703acb"
CHILD = Path(__file__).with_name("_scale_engine_child.py")
FILES = [int(n) for n in os.environ.get("FLUKE_BENCH_SCALE_FILES", "100000,1000000").split(",")]
KEYS = int(os.environ.get("FLUKE_BENCH_SCALE_KEYS", "100000"))
KEY_ID, SECRET = "AKIAFLUKEBENCH000001", "fluke-bench-secret"
RSS_TARGET_MIB, GROWTH_TARGET_MIB, DASK_OVERHEAD = 300, 50, 1.30


def _before_tree() -> Path | None:
    """The engine before issue 11 (``fluke-core`` and ``fluke-memory`` sources), once."""
    if os.environ.get("FLUKE_BENCH_SCALE_BEFORE") == "off":
        return None
    home = Path.home() / ".cache" / f"fluke-bench-engine-{BEFORE_COMMIT}"
    if not (home / "fluke-core").exists():
        home.mkdir(parents=True, exist_ok=True)
        archive = home / "src.tar"
        with archive.open("wb") as out:
            subprocess.run(
                ["git", "archive", BEFORE_COMMIT, "fluke-core/src", "examples/fluke-memory/src"],
                cwd=REPO,
                stdout=out,
                check=True,
            )
        with tarfile.open(archive) as tar:
            tar.extractall(home, filter="data")
        archive.unlink()
    return home


def _engine(files: int, tree: Path | None, journal: str | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = f"{tree}/fluke-core/src:{tree}/examples/fluke-memory/src"
    args = [sys.executable, str(CHILD), str(files), *([journal] if journal else [])]
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _engine_rows() -> list[Row]:
    rows: list[Row] = []
    before_tree = _before_tree()
    peaks: dict[int, float] = {}
    for files in FILES:
        after = _engine(files, None)
        peaks[files] = after["peak_mib"]
        line = (
            f"{after['files_per_s']:,.0f} files/s, peak RSS {after['peak_mib']:.0f} MiB,"
            f" report spilled {after['report_bytes_per_file']:.0f} bytes/file"
        )
        if before_tree is not None:
            before = _engine(files, before_tree)
            ratio = after["files_per_s"] / before["files_per_s"]
            line += (
                f" (before issue 11: {before['files_per_s']:,.0f} files/s,"
                f" {before['peak_mib']:.0f} MiB; speed x{ratio:.2f})"
            )
        rows.append((f"engine, {files:,} files of 1 B, memory -> sink", line))
    if len(peaks) > 1:
        small, big = min(peaks), max(peaks)
        growth = peaks[big] - peaks[small]
        verdict = "ok" if peaks[big] <= RSS_TARGET_MIB and growth <= GROWTH_TARGET_MIB else "MISS"
        rows.append(
            (
                f"engine RSS growth {small:,} -> {big:,} files (target <= +{GROWTH_TARGET_MIB} MiB,"
                f" <= {RSS_TARGET_MIB} MiB)",
                f"+{growth:.1f} MiB, peak {peaks[big]:.0f} MiB: {verdict}",
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        files = min(FILES)
        journal = str(Path(tmp, "job.sqlite"))
        with_journal = _engine(files, None, journal)
        size = os.path.getsize(journal)
        rows.append(
            (
                f"engine with journal=, {files:,} files",
                f"{with_journal['files_per_s']:,.0f} files/s, peak RSS"
                f" {with_journal['peak_mib']:.0f} MiB, journal {size / files:.0f} bytes/file",
            )
        )
    return rows


def _seed(client: Any, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))


def _listing(directory: Any, sharded: bool) -> tuple[float, float, int]:
    """``(seconds to the first file planned, seconds to the last, files)`` of the plan room."""
    from fluke.transfer._copy import CopyOptions
    from fluke.transfer._listing import Planner, ShardLister
    from fluke.transfer._sources import DirSource

    session = directory._session
    times: list[float] = []
    lock = threading.Lock()

    def put(_planned: object) -> None:
        with lock:
            times.append(time.perf_counter())

    planner = Planner(
        session.backend, "x/", CopyOptions(overwrite=True), None, put, lambda *_: None
    )
    lister = ShardLister(
        DirSource(session, directory.get_path(), True), planner, threading.Event(), None
    )
    lister.by_directory = sharded
    started = time.perf_counter()
    lister.run()
    if lister.error is not None:
        raise lister.error
    return times[0] - started, times[-1] - started, len(times)


def _listing_rows() -> list[Row]:
    from fluke_aws.auth import AWSAuth
    from fluke_aws.storage import AmazonS3Dir

    rows: list[Row] = []
    with servers.moto() as url:
        auth = AWSAuth(KEY_ID, SECRET, region="us-east-1", endpoint_url=url)
        client: Any = auth._client("s3")
        client.create_bucket(Bucket="scale")
        per = max(1, KEYS // 100)
        keys = [f"data/p{index // per:03d}/k{index:06d}" for index in range(KEYS)]
        _seed(client, "scale", keys)
        with AmazonS3Dir(auth, "scale", "data") as directory:
            s_first, s_total, s_count = _listing(directory, True)
            q_first, q_total, q_count = _listing(directory, False)
        assert s_count == q_count == KEYS, (s_count, q_count)
        rows.append(
            (
                f"listing {KEYS:,} keys on moto, sharded (100 prefixes, concurrent)",
                f"first file after {s_first:.2f} s, all listed in {s_total:.1f} s",
            )
        )
        rows.append(
            (
                f"listing {KEYS:,} keys on moto, one sequential listing",
                f"first file after {q_first:.2f} s, all listed in {q_total:.1f} s"
                f" (the engine before issue 11 started copying after {q_total:.1f} s);"
                f" sharded total x{q_total / s_total:.2f}",
            )
        )
    return rows


def _dask_rows() -> list[Row]:
    if (
        importlib.util.find_spec("fluke_dask") is None
        or importlib.util.find_spec("distributed") is None
    ):
        return [("dask vs thread pool", "fluke-dask not installed: skipped")]
    from bench_scale_dask import dask_rows

    return dask_rows(KEY_ID, SECRET)


def main() -> list[Row]:
    """Run the measurements; return ``(label, value)`` rows."""
    rows = _engine_rows()
    if importlib.util.find_spec("fluke_aws") is not None:
        rows += _listing_rows()
        rows += _dask_rows()
    return rows


if __name__ == "__main__":
    from _common import print_rows

    print_rows(main())
