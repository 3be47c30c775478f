"""Run every benchmark whose package is installed; print one table per round-trip time.

``nox -s bench`` runs this; ``python benchmarks/run.py core aws`` runs a
subset. ``--rtt 20ms`` (repeatable, or comma-separated: ``--rtt 0,20ms,80ms``)
puts every server behind a latency proxy with that round-trip time, Fluke
and anchors alike (default: 0 ms, loopback). ``--bandwidth 100MB`` also caps
each connection's bandwidth (bytes per second, per direction). The rows
print as they are measured; a Markdown table per RTT follows at the end.
``--profile`` adds where each row's time goes (``_profile.py``): wall = client
CPU + server CPU + wait, for Fluke and every anchor, and Fluke's hottest
functions where it is behind.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import _profile  # noqa: E402
from _common import Row, print_rows, set_network  # noqa: E402
from latency_proxy import parse_rtt  # noqa: E402

#: Each suite and the packages it needs.
SUITES = {
    "core": ["fluke"],
    "cli": ["fluke_aws"],
    "aws": ["fluke_aws"],
    "azure": ["fluke_azure"],
    "gcp": ["fluke_gcp"],
    "ssh": ["fluke_ssh"],
    "engine": ["fluke_aws", "fluke_azure", "fluke_gcp", "fluke_ssh"],
    "streams": ["fluke_aws", "fluke_ssh"],
    "scale": ["fluke_memory"],
}
#: Suites that touch no network: measured at the first RTT only.
LOCAL_ONLY = {"core"}


def _bandwidth(text: str) -> float:
    units = {"k": 1e3, "m": 1e6, "g": 1e9}
    raw = text.strip().lower().removesuffix("b/s").removesuffix("b")
    scale = units.get(raw[-1:], 1.0)
    return float(raw[:-1] if raw[-1:] in units else raw) * scale


def machine() -> str:
    """One line: CPU model, cores, OS, Python."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _run_suites(selected: list[str], first: bool) -> list[Row]:
    rows: list[Row] = []
    for name in selected:
        if name in LOCAL_ONLY and not first:
            continue
        missing = [pkg for pkg in SUITES[name] if importlib.util.find_spec(pkg) is None]
        if missing:
            print(f"## {name}: {', '.join(missing)} not installed, skipped")
            continue
        if importlib.util.find_spec(f"bench_{name}") is None:
            print(f"## {name}: no benchmark yet")
            continue
        print(f"## {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench_{name}")
        measured = module.main()
        print_rows(measured)
        rows += measured
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"## {name}: {time.perf_counter() - started:.0f} s, load average {load}", flush=True)
    return rows


def _markdown(title: str, rows: list[Row]) -> str:
    lines = [f"### {title}", "", "| case | times | ratio (Fluke's speed vs each anchor) |"]
    lines.append("|---|---|---|")
    for label, value in rows:
        case, _, times = label.partition(": ")
        lines.append(f"| {case} | {times} | {value} |")
    notes = [(label.partition(": ")[0], _profile.note(label)) for label, _ in rows]
    if any(note for _, note in notes):
        lines += ["", f"#### Where the time goes, {title}", ""]
        lines += ["| case | wall = client CPU + server CPU + wait | Fluke's hot functions |"]
        lines += ["|---|---|---|"]
        lines += [f"| {case} | {note[0]} | {note[1]} |" for case, note in notes if note]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", nargs="*", metavar="suite", help=", ".join(SUITES))
    parser.add_argument("--rtt", action="append", default=[], help="e.g. 20ms (repeatable)")
    parser.add_argument("--bandwidth", default=None, help="per-connection cap, e.g. 100MB")
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument(
        "--profile", action="store_true", help="CPU breakdown per call, hot functions if behind"
    )
    args = parser.parse_args(argv)
    if args.profile:
        _profile.enable()
    rtts = [parse_rtt(part) for value in args.rtt or ["0"] for part in value.split(",")]
    bandwidth = _bandwidth(args.bandwidth) if args.bandwidth else None
    selected = args.suites or list(SUITES)
    unknown = sorted(set(selected) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"# Fluke benchmarks, {stamp}; {machine()}", flush=True)
    tables: list[str] = []
    for index, rtt in enumerate(rtts):
        cap = f", {args.bandwidth}/s per connection" if bandwidth else ""
        title = f"RTT {rtt * 1000:.0f} ms{cap}"
        print(f"\n# {title}", flush=True)
        set_network(rtt, bandwidth)
        rows = _run_suites(selected, index == 0)
        tables.append(_markdown(title, rows))
    summary = f"date: {stamp}\n\nmachine: {machine()}\n\n" + "\n\n".join(tables) + "\n"
    print(f"\n# Summary\n\n{summary}")
    if args.markdown:
        Path(args.markdown).write_text(summary, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
