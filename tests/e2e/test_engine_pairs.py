"""The transfer engine between every ordered pair of backends, on real local servers.

local disk, S3 (moto), Azure Blob (Azurite), GCS (fake-gcs-server) and SFTP
(OpenSSH): a small tree (nested files, an empty file, a binary file of a few
parts' worth of requests) goes from one to the other with
``Dir.transfer_to(recursively=True, include_metadata=True)`` and must arrive
byte-identical, with nothing more, and with the metadata set on the source
files wherever the destination stores user metadata.
"""

from __future__ import annotations

import os

import pytest
from engine_support import KINDS, Stores

TREE = {
    "a.txt": b"alpha\n",
    "empty.txt": b"",
    "nested/b.bin": os.urandom(300_000),
    "nested/deeper/c.txt": "ünïcödé\n".encode(),
}
METADATA = {
    "a.txt": {"origin": "e2e", "flavour": "vanilla"},
    "nested/deeper/c.txt": {"origin": "e2e", "depth": "2"},
}
PAIRS = [(src, dst) for src in KINDS for dst in KINDS if src != dst]


@pytest.mark.parametrize(("src_kind", "dst_kind"), PAIRS, ids=[f"{s}-to-{d}" for s, d in PAIRS])
def test_tree_round_trips_with_metadata(stores: Stores, src_kind: str, dst_kind: str) -> None:
    src = stores.dir(src_kind, "src")
    dst = stores.dir(dst_kind, "dst")
    for relative, data in TREE.items():
        stores.write(src, relative, data)
    for relative, metadata in METADATA.items():
        src.set_metadata(relative, metadata)

    report = src.transfer_to(dst, recursively=True, include_metadata=True, suppress_output=True)

    assert report, [(outcome.source, outcome.error) for outcome in report.failed]
    assert len(report.transferred) == len(TREE)
    assert report.total_bytes == sum(len(data) for data in TREE.values())
    assert dst.get_contents(recursively=True) == sorted(TREE)
    for relative, data in TREE.items():
        assert stores.read(dst, relative) == data, relative
    if dst._session.backend.capabilities.user_metadata:
        for relative, metadata in METADATA.items():
            copy = dst.get_file(relative)
            copy.load_metadata()
            assert copy.get_metadata() == metadata, relative
