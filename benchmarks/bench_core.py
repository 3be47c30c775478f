"""fluke-core benchmarks: import time, and recursive count/size vs. os.scandir.

Run through ``nox -s bench``; prints ratios measured side by side in one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from _common import Row, best_of, print_rows

from fluke.storage import LocalDir

FILES = 100_000


def _make_tree(root: str, files: int) -> None:
    per_dir = 1000
    for index in range(files):
        folder = os.path.join(root, f"d{index // per_dir:03d}", f"s{(index // 100) % 10}")
        if index % 100 == 0:
            os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{index}.txt"), "wb") as handle:
            handle.write(b"x" * (index % 7))


def _scandir_walk(root: str, sizes: bool) -> int:
    total = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    total += entry.stat().st_size if sizes else 1
    return total


def import_time_ms(statement: str) -> float:
    """Best-of-5 wall time of a fresh interpreter running ``statement``, minus a bare one."""

    def run(code: str) -> float:
        return best_of(5, lambda: subprocess.run([sys.executable, "-c", code], check=True))[0]

    return (run(statement) - run("pass")) * 1000


def main() -> list[Row]:
    rows: list[Row] = []
    for statement in ("import fluke.storage", "from fluke.storage import LocalDir"):
        rows.append(
            (
                f"core `{statement}` (ms over bare python, target < 50)",
                f"{import_time_ms(statement):.1f}",
            )
        )
    code = (
        "import sys, fluke.storage;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3','botocore','azure','google','paramiko')))"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    rows.append(("cloud SDK modules imported by `import fluke.storage`", imported.stdout.strip()))
    with tempfile.TemporaryDirectory() as root:
        _make_tree(root, FILES)
        directory = LocalDir(root)
        assert directory.count(recursively=True) == _scandir_walk(root, False) == FILES
        assert directory.get_size(recursively=True) == _scandir_walk(root, True)
        for label, ours, theirs in (
            (
                "count(recursively=True)",
                lambda: directory.count(True),
                lambda: _scandir_walk(root, False),
            ),
            (
                "get_size(recursively=True)",
                lambda: directory.get_size(True),
                lambda: _scandir_walk(root, True),
            ),
        ):
            fluke_s, scandir_s = best_of(3, ours, theirs)
            rows.append(
                (
                    f"core {label}, {FILES:,} files (target <= 1.5): fluke / os.scandir walk",
                    f"{fluke_s:.3f}s / {scandir_s:.3f}s = {fluke_s / scandir_s:.2f}",
                )
            )
    return rows


if __name__ == "__main__":
    print_rows(main())
