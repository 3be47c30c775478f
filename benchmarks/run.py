"""Run every benchmark whose package is installed and print one table.

``nox -s bench`` runs this; ``python benchmarks/run.py core aws`` runs a subset.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import print_rows  # noqa: E402

#: Each suite and the packages it needs.
SUITES = {
    "core": ["fluke"],
    "aws": ["fluke_aws"],
    "azure": ["fluke_azure"],
    "gcp": ["fluke_gcp"],
    "ssh": ["fluke_ssh"],
    "engine": ["fluke_aws", "fluke_azure", "fluke_gcp", "fluke_ssh"],
}


def main(selected: list[str]) -> None:
    for name in selected or list(SUITES):
        missing = [pkg for pkg in SUITES[name] if importlib.util.find_spec(pkg) is None]
        if missing:
            print(f"## {name}: {', '.join(missing)} not installed, skipped")
            continue
        if importlib.util.find_spec(f"bench_{name}") is None:
            print(f"## {name}: no benchmark yet")
            continue
        print(f"## {name}")
        started = time.perf_counter()
        module = importlib.import_module(f"bench_{name}")
        print_rows(module.main())
        print(f"## {name}: {time.perf_counter() - started:.0f} s, load average {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv[1:])
