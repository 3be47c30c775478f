"""Run every benchmark whose package is installed and print one table.

``nox -s bench`` runs this; ``python benchmarks/run.py core aws`` runs a subset.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

SUITES = {
    "core": "fluke",
    "aws": "fluke_aws",
    "azure": "fluke_azure",
    "gcp": "fluke_gcp",
    "ssh": "fluke_ssh",
}


def main(selected: list[str]) -> None:
    for name in selected or list(SUITES):
        if importlib.util.find_spec(SUITES[name]) is None:
            print(f"## {name}: package not installed, skipped")
            continue
        if importlib.util.find_spec(f"bench_{name}") is None:
            print(f"## {name}: no benchmark yet")
            continue
        print(f"## {name}")
        module = importlib.import_module(f"bench_{name}")
        for label, value in module.main():
            print(f"{label:70} {value}")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
