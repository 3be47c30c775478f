"""The ``fluke`` command: ls, cat, stat, du, cp, rm, queue, plugins.

Every location is a URL (``s3://bucket/prefix``, ``az://container/path``,
``gs://bucket/key``, ``sftp://user@host:port/path``, ``sqs://queue``) or a
local path. Exit status: 0 when everything succeeded, 1 when an operation
failed, 2 for bad input, 3 when some files of a transfer failed and others
did not. Errors are one line on stderr, never a traceback, and never contain
a secret Fluke holds (credentials from the environment, URL passwords, SAS
signatures); data (file names, listings, message bodies) is printed exactly.
When the reader of stdout goes away (``fluke ls | head -1``) the command stops
quietly with status 141, as coreutils do.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click

import fluke
from fluke._dir import Dir
from fluke._file import File
from fluke._queue import check_text
from fluke._urls import redact_url, url_secrets
from fluke.exceptions import (
    FlukeError,
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
)
from fluke.local import LocalBackend

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_PARTIAL = 0, 1, 2, 3
#: What a shell reports for a command killed by SIGPIPE (128 + 13), as coreutils are.
EXIT_BROKEN_PIPE = 141
F = TypeVar("F", bound=Callable[..., Any])

#: Environment variables whose whole value is a credential Fluke's providers use.
CREDENTIAL_ENV = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_PASSWORD",
)
#: Environment variables holding a connection string or URL with a secret inside.
CONNECTION_ENV = ("AZURE_STORAGE_CONNECTION_STRING",)
URL_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS")
#: Shorter values are not masked: they are not credentials, and masking them
#: would garble ordinary words in messages.
MIN_SECRET_LENGTH = 8
_SECRET_PARTS = re.compile(r"((?:AccountKey|SharedAccessSignature)=)([^;\s'\"]+)", re.I)
_SAS_SIGNATURE = re.compile(r"([?&;]sig=)([^&;\s'\"]+)", re.I)
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'\"]*:)([^@/\s'\"]+)(@)")


class Redactor:
    """Hides the secrets Fluke holds in the diagnostics it prints.

    Only error messages pass through it, never data (file names, listings,
    message bodies). It hides the credentials Fluke's providers read from the
    environment, the passwords and SAS signatures of the URLs it was given,
    and anything shaped like a URL password, ``sig=`` or ``AccountKey=``.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.secrets: set[str] = set()
        for name in CREDENTIAL_ENV:
            self._add(env.get(name), MIN_SECRET_LENGTH)
        for name in CONNECTION_ENV:
            for part in (env.get(name) or "").split(";"):
                key, _, value = part.partition("=")
                if key.strip().lower() in ("accountkey", "sharedaccesssignature"):
                    self._add(value.strip(), MIN_SECRET_LENGTH)
        for name in URL_ENV:
            if env.get(name):
                self.learn_url(env[name])

    def _add(self, value: str | None, minimum: int) -> None:
        if value and len(value) >= minimum:
            self.secrets.add(value)

    def learn_url(self, url: str) -> None:
        """Remember the password, signatures and tokens written into ``url``."""
        self.secrets.update(url_secrets(url))

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        text = _URL_PASSWORD.sub(r"\1***\3", text)
        text = _SAS_SIGNATURE.sub(r"\1***", text)
        return _SECRET_PARTS.sub(r"\1***", text)


REDACT = Redactor()


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"fluke: {REDACT(message)}", err=True)
    sys.exit(status)


def _pipe_closed() -> NoReturn:
    """Whoever read our output went away (``fluke ls | head -1``): stop quietly.

    The recipe of Python's ``signal`` documentation: point stdout at
    ``/dev/null`` so the final flush cannot fail again, then exit.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(EXIT_BROKEN_PIPE)


@contextmanager
def _stdout() -> Iterator[None]:
    """Writes to stdout inside end the command quietly if the pipe is closed."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _pipe_closed()


def _refusal(error: PermissionError) -> str:
    """One line for a refused operation or refused credentials, naming the path.

    Fluke's :class:`~fluke.exceptions.PermissionDeniedError` and
    :class:`~fluke.exceptions.AuthenticationError` say it already; the
    operating system's ``PermissionError`` gets its path.
    """
    if isinstance(error, FlukeError):
        return str(error)
    where = f" for {error.filename!r}" if error.filename else ""
    return f"Permission denied{where}."


@contextmanager
def _errors() -> Iterator[None]:
    """Turn exceptions into one-line messages and exit statuses."""
    try:
        yield
    except click.exceptions.Exit:
        raise
    except PermissionError as error:  # PermissionDeniedError, AuthenticationError, the OS's
        _fail(_refusal(error), EXIT_FAILED)
    except (FlukeError, ValueError, TypeError, ImportError, LookupError) as error:
        _fail(str(error), EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_FAILED)
    except Exception as error:  # the command's last word: no traceback
        logging.getLogger("fluke.cli").debug("command failed", exc_info=True)
        _fail(f"{type(error).__name__}: {error}", EXIT_FAILED)


def _emit(as_json: bool, data: Any, lines: Iterable[str]) -> None:
    """Print ``data`` as JSON, or ``lines`` as text, exactly: this is data, never redacted."""
    with _stdout():
        if as_json:
            click.echo(json.dumps(data, indent=None, default=str))
        else:
            for line in lines:
                click.echo(line)


def _show_progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _open_dir(url: str, **options: Any) -> Dir:
    REDACT.learn_url(url)
    return fluke.dir(url, **options)


def _open_any(url: str) -> File | Dir:
    """A File if ``url`` is a file, else a Dir."""
    REDACT.learn_url(url)
    if url.endswith("/") and "://" in url and not url.lower().startswith("file:"):
        return fluke.dir(url)  # a remote URL ending in "/" names a directory: no file lookup
    try:
        return fluke.file(url)
    except InvalidFileError:
        pass
    return fluke.dir(url)


def _local_link(node: File | Dir) -> str | None:
    """The path of the local symbolic link ``node`` was opened through, if it was."""
    if not isinstance(node._session.backend, LocalBackend):
        return None
    path = node.get_path().rstrip("/") or "/"
    return path if os.path.islink(path) else None


#: Loggers whose warnings name entries a listing skipped (dangling or escaping
#: symbolic links, link loops): shown even without ``-v``.
SKIP_WARNINGS = ("fluke.local", "fluke.ssh")

json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fluke-core", prog_name="fluke")
@click.option("-v", "--verbose", count=True, help="Log more (-v warnings, -vv info, -vvv debug).")
def main(verbose: int) -> None:
    """Fluke: one command for files and queues on local disk, SFTP and the clouds."""
    level = logging.ERROR - 10 * min(verbose, 3)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for name in SKIP_WARNINGS:  # entries a listing skips are always said
        logging.getLogger(name).setLevel(min(level, logging.WARNING))


@main.command("ls")
@click.argument("url")
@click.option("-r", "--recursive", is_flag=True, help="Every file below, not just the top level.")
@json_option
def ls_command(url: str, recursive: bool, as_json: bool) -> None:
    """List a directory (or show one file)."""
    with _errors():
        node = _open_any(url)
        with node:
            if isinstance(node, File):
                entries = [node.get_name()]
            else:
                entries = node.get_contents(recursively=recursive)
        _emit(as_json, entries, entries)


@main.command("cat")
@click.argument("url")
def cat_command(url: str) -> None:
    """Write a file's bytes to stdout."""
    with _errors():
        REDACT.learn_url(url)
        with fluke.file(url) as file:
            out = sys.stdout.buffer
            for chunk in file.read_chunks(1024 * 1024):
                with _stdout():
                    out.write(chunk)
            with _stdout():
                out.flush()


@main.command("stat")
@click.argument("url")
@json_option
def stat_command(url: str, as_json: bool) -> None:
    """Show a file's or directory's URI, size and metadata."""
    with _errors():
        node = _open_any(url)
        with node:
            if isinstance(node, File):
                if node._session.backend.capabilities.user_metadata:
                    node.load_metadata()
                info: dict[str, Any] = {
                    "uri": node.get_uri(),
                    "type": "file",
                    "size": node.get_size(),
                    "metadata": node.get_metadata(),
                }
            else:
                info = {
                    "uri": node.get_uri(),
                    "type": "dir",
                    "files": node.count(recursively=True),
                    "size": node.get_size(recursively=True),
                }
        _emit(as_json, info, [f"{key}: {value}" for key, value in info.items()])


@main.command("du")
@click.argument("url")
@json_option
def du_command(url: str, as_json: bool) -> None:
    """Total size and number of files below a directory."""
    with _errors():
        with _open_dir(url) as directory:
            info = {
                "uri": directory.get_uri(),
                "files": directory.count(recursively=True),
                "bytes": directory.get_size(recursively=True),
            }
        _emit(as_json, info, [f"{info['bytes']}\t{info['files']} files\t{redact_url(url)}"])


@main.command("cp")
@click.argument("src")
@click.argument("dst")
@click.option("-r", "--recursive", is_flag=True, help="Copy a whole directory tree.")
@click.option("--overwrite", is_flag=True, help="Replace files that exist at the destination.")
@click.option("--sync", "skip_identical", is_flag=True, help="Skip files already identical.")
@click.option("--dry-run", is_flag=True, help="Show the plan; move nothing.")
@click.option("--workers", type=click.IntRange(min=1), help="Files/parts in flight at once.")
@click.option("--chunk-size", type=click.IntRange(min=1), help="Part size in bytes.")
@click.option("--metadata", "include_metadata", is_flag=True, help="Carry user metadata.")
@click.option(
    "--journal",
    type=click.Path(dir_okay=False),
    help="SQLite file recording the copy; the same command with it resumes.",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="tcp://HOST:PORT|local:N",
    help="Copy on a Dask cluster (needs fluke-dask); local:N starts N worker processes.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@json_option
def cp_command(
    src: str,
    dst: str,
    recursive: bool,
    overwrite: bool,
    skip_identical: bool,
    dry_run: bool,
    workers: int | None,
    chunk_size: int | None,
    include_metadata: bool,
    journal: str | None,
    dask_address: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Copy file or directory SRC into directory DST (created when missing)."""
    with _errors():
        source = _open_any(src)
        if isinstance(source, Dir) and not recursive:
            raise ValueError(f"{redact_url(src)} is a directory (use -r)")
        with source, _open_dir(dst, create_if_missing=not dry_run) as destination:
            options: dict[str, Any] = {
                "overwrite": overwrite,
                "include_metadata": include_metadata,
                "chunk_size": chunk_size,
                "suppress_output": not _show_progress(quiet) or as_json,
                "skip_identical": skip_identical,
                "dry_run": dry_run,
                "max_workers": workers,
            }
            if journal is not None:
                options["journal"] = journal
            with _dask_client(dask_address) as client:
                if client is not None:
                    options["executor"] = client
                if isinstance(source, Dir):
                    report = source.transfer_to(destination, recursively=True, **options)
                else:
                    report = source.transfer_to(destination, **options)

        def described(outcomes: Iterable[Any]) -> list[dict[str, Any]]:
            return [
                {
                    "source": o.source,
                    "destination": o.destination,
                    "status": o.status,
                    "bytes": o.bytes,
                    "seconds": round(o.seconds, 3),
                    "error": None
                    if o.error is None
                    else REDACT(f"{type(o.error).__name__}: {o.error}"),
                }
                for o in outcomes
            ]

        # without --json only failures and plans are printed: never the whole report
        noted = described([*report.failed, *report.planned]) if not as_json else []
        lines = [
            f"{o['status']} {o['source']}" + (f": {o['error']}" if o["error"] else "")
            for o in noted
        ]
        files = described(report) if as_json else []
        _emit(as_json, {"summary": report.summary(), "files": files}, [*lines, report.summary()])
    if not report:
        done = report.counts["transferred"] + report.counts["skipped"]
        sys.exit(EXIT_PARTIAL if done else EXIT_FAILED)


@contextmanager
def _dask_client(address: str | None) -> Iterator[Any]:
    """The Dask client of ``cp --dask`` (``None`` without the option)."""
    if address is None:
        yield None
        return
    try:
        from fluke_dask import connect  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ValueError("--dask needs fluke-dask: pip install fluke-dask") from None
    with connect(address) as client:
        yield client


@main.command("rm")
@click.argument("url")
@click.option("-r", "--recursive", is_flag=True, help="Delete every file below a directory.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before deleting many files.")
@json_option
def rm_command(url: str, recursive: bool, yes: bool, as_json: bool) -> None:
    """Delete a file, or with -r every file below a directory.

    A symbolic link is removed itself, never what it points to (as ``rm`` does).
    """
    with _errors():
        node = _open_any(url)
        with node:
            backend = node._session.backend
            link = None if isinstance(node, File) else _local_link(node)
            if link is not None:  # like coreutils: the link goes, its target stays
                paths = [link]
            elif isinstance(node, File):
                paths = [node.get_path()]
            elif not recursive:
                raise ValueError(f"{redact_url(url)} is a directory (use -r)")
            else:
                paths = node.get_contents(recursively=True, show_abs_path=True)
            if len(paths) > 1 and not yes:
                if not sys.stdin.isatty() or not click.confirm(
                    f"Delete {len(paths)} files below {redact_url(url)}?", default=False
                ):
                    _fail(f"not deleting {len(paths)} files without --yes", EXIT_FAILED)
            if isinstance(node, File):
                node.delete()
            elif link is not None:
                backend.delete(link)
            else:
                node.remove(recursively=True)
        _emit(as_json, {"deleted": paths}, [f"deleted {len(paths)} file(s)"])


def _split_file_url(url: str) -> tuple[str, str]:
    """``(directory URL, file name)`` of file URL ``url`` (the name is ``""`` after a ``/``)."""
    base, mark, query = url.partition("?")
    if "://" not in base:  # a local path
        head, name = os.path.split(base)
        return (head or os.curdir) + os.sep, name
    scheme_netloc, slash, path = base.partition("://")[2].partition("/")
    scheme = base.split("://", 1)[0]
    parent, _, name = path.rpartition("/")
    directory = f"{scheme}://{scheme_netloc}{slash}{parent + '/' if parent else ''}"
    return directory + (mark + query if mark else ""), name


def _destination(url: str, default_name: str | None) -> tuple[Dir, str]:
    """The directory and file name a command writes to.

    ``url`` is a file URL, or a directory (ending with ``/``, or existing),
    into which the file goes as ``default_name``. A missing parent
    directory is created.
    """
    if not url.endswith("/"):
        try:
            existing = _open_dir(url)
        except (InvalidPathError, InvalidDirectoryError):
            pass
        else:
            if default_name:
                return existing, default_name
            existing.close()
            raise ValueError(f"{redact_url(url)} is a directory: give the file's name")
    directory_url, name = _split_file_url(url)
    if not name:
        if not default_name:
            raise ValueError(f"{redact_url(url)} names a directory: give the file's name")
        name = default_name
    return _open_dir(directory_url, create_if_missing=True), name


@main.command("put")
@click.argument("src")
@click.argument("url")
@click.option("--overwrite", is_flag=True, help="Replace a file that exists at URL.")
@json_option
def put_command(src: str, url: str, overwrite: bool, as_json: bool) -> None:
    """Write local file SRC (``-``: stdin) to file URL (ending with ``/``: into that dir).

    Nothing appears at URL unless every byte was written.
    """
    with _errors():
        from_stdin = src == "-"
        if not from_stdin and not os.path.isfile(src):
            raise ValueError(f"{src} is not a local file")
        directory, name = _destination(url, None if from_stdin else os.path.basename(src))
        with directory:
            if from_stdin:
                written = directory.write_file(name, sys.stdin.buffer, overwrite=overwrite)
            else:
                with open(src, "rb") as local:
                    written = directory.write_file(name, local, overwrite=overwrite)
            info = {"uri": written.get_uri(), "bytes": written.get_size()}
        _emit(as_json, info, [f"wrote {info['bytes']} bytes to {info['uri']}"])


@main.command("mv")
@click.argument("src")
@click.argument("dst")
@click.option("--overwrite", is_flag=True, help="Replace a file that exists at DST.")
@json_option
def mv_command(src: str, dst: str, overwrite: bool, as_json: bool) -> None:
    """Move file SRC to DST (a file URL, or a directory URL ending with ``/``).

    A server-side copy where possible, else a verified copy; SRC is deleted
    only after the copy succeeded.
    """
    with _errors():
        REDACT.learn_url(src)
        with fluke.file(src) as source:
            directory, name = _destination(dst, source.get_name())
            with directory:
                moved = source.move_to(directory, new_name=name, overwrite=overwrite)
                info = {"source": source.get_uri(), "destination": moved.get_uri()}
        _emit(as_json, info, [f"moved {info['source']} to {info['destination']}"])


@main.command("mkdir")
@click.argument("url")
@json_option
def mkdir_command(url: str, as_json: bool) -> None:
    """Create directory URL and its parents (a marker on object stores)."""
    with _errors():
        directory_url, name = _split_file_url(url.rstrip("/") if url.rstrip("/") else url)
        with _open_dir(directory_url, create_if_missing=True) as parent:
            made = parent.mkdir(name) if name else parent
            info = {"uri": made.get_uri()}
        _emit(as_json, info, [f"created {info['uri']}"])


@main.group("queue")
def queue_group() -> None:
    """Push, peek, poll, count, clear or redrive a queue (sqs://, azq://, localq://)."""


def _queue(url: str) -> Any:
    REDACT.learn_url(url)
    return fluke.queue(url)


@queue_group.command("push")
@click.argument("url")
@click.argument("messages", nargs=-1, required=True)
@json_option
def queue_push(url: str, messages: tuple[str, ...], as_json: bool) -> None:
    """Send MESSAGES (one message per argument)."""
    with _errors():
        for message in messages:  # every message checked before the first is sent
            check_text(message)
        with _queue(url) as queue:
            results = [queue.push(message, suppress_output=True) for message in messages]
        _emit(as_json, {"pushed": sum(results)}, [f"pushed {sum(results)}"])
    if not all(results):
        sys.exit(EXIT_PARTIAL if any(results) else EXIT_FAILED)


@queue_group.command("peek")
@click.argument("url")
@json_option
def queue_peek(url: str, as_json: bool) -> None:
    """Show up to 10 messages without removing them."""
    with _errors():
        with _queue(url) as queue:
            messages = queue.peek(suppress_output=True)
        _emit(as_json, messages, messages)


@queue_group.command("poll")
@click.argument("url")
@click.option("-n", "--num-messages", type=click.IntRange(min=1), help="Stop after this many.")
@click.option("--batch-size", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--follow", is_flag=True, help="Keep polling (see --interval).")
@click.option("--interval", type=click.FloatRange(min=0), default=5.0, show_default=True)
@json_option
def queue_poll(
    url: str,
    num_messages: int | None,
    batch_size: int,
    follow: bool,
    interval: float,
    as_json: bool,
) -> None:
    """Receive and delete messages, one line each (JSON: one array per batch)."""
    with _errors():
        with _queue(url) as queue:
            batches = queue.poll(
                num_messages=num_messages,
                batch_size=batch_size,
                polling_frequency=interval if follow else None,
            )
            for batch in batches:
                with _stdout():
                    if as_json:
                        click.echo(json.dumps(batch))
                    else:
                        for message in batch:
                            click.echo(message)


@queue_group.command("count")
@click.argument("url")
@json_option
def queue_count(url: str, as_json: bool) -> None:
    """Approximate number of messages (visible and in flight)."""
    with _errors():
        with _queue(url) as queue:
            total = queue.count()
        _emit(as_json, {"count": total}, [str(total)])


@queue_group.command("clear")
@click.argument("url")
@click.option("-y", "--yes", is_flag=True, help="Do not ask.")
def queue_clear(url: str, yes: bool) -> None:
    """Delete every message."""
    with _errors():
        if not yes and (not sys.stdin.isatty() or not click.confirm(f"Clear {redact_url(url)}?")):
            _fail("not clearing the queue without --yes", EXIT_FAILED)
        with _queue(url) as queue:
            queue.clear(suppress_output=True)


@queue_group.command("redrive")
@click.argument("url")
@click.option(
    "--from",
    "from_url",
    metavar="URL",
    help="The dead-letter queue to empty (default: URL's <queue>-poison).",
)
@json_option
def queue_redrive(url: str, from_url: str | None, as_json: bool) -> None:
    """Move every message of a dead-letter queue back to URL."""
    with _errors():
        with _queue(url) as queue:
            source = _queue(from_url) if from_url else queue.dead_letter_queue()
            with source:
                moved = queue.redrive(source)
        _emit(
            as_json,
            {"redriven": moved, "from": source.get_name()},
            [f"redrove {moved} message(s) from {source.get_name()}"],
        )


@main.command("events")
@click.argument("url")
@click.option("-n", "--num-messages", type=click.IntRange(min=1), help="Stop after this many.")
@click.option("--batch-size", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--follow", is_flag=True, help="Keep polling (see --interval).")
@click.option("--interval", type=click.FloatRange(min=0), default=5.0, show_default=True)
@click.option("--raw", is_flag=True, help="Include each event's decoded notification.")
def events_command(
    url: str,
    num_messages: int | None,
    batch_size: int,
    follow: bool,
    interval: float,
    raw: bool,
) -> None:
    """Storage events (S3, Event Grid, GCS) from a queue: one JSON line per event.

    Messages are consumed (as by ``queue poll``). A message that is not a
    storage event is reported on stderr and skipped; the status is then 3
    (1 if no event at all was printed).
    """
    from fluke.events import storage_events
    from fluke.exceptions import InvalidEventError

    invalid: list[InvalidEventError] = []
    printed = 0

    def report(body: str, error: InvalidEventError) -> None:
        invalid.append(error)
        click.echo(f"fluke: {REDACT(str(error))}", err=True)

    with _errors():
        with _queue(url) as queue:
            events = storage_events(
                queue,
                on_invalid=report,
                num_messages=num_messages,
                batch_size=batch_size,
                polling_frequency=interval if follow else None,
            )
            for event in events:
                with _stdout():
                    click.echo(json.dumps(event.to_dict(raw=raw), default=str))
                printed += 1
    if invalid:
        sys.exit(EXIT_PARTIAL if printed else EXIT_FAILED)


@main.command("plugins")
@json_option
def plugins_command(as_json: bool) -> None:
    """Installed plugins: versions, names and URL schemes."""
    with _errors():
        infos = fluke.plugins()
        plugins = [
            {
                "plugin": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "names": {kind: sorted(names) for kind, names in info.names.items()},
            }
            for info in infos
        ]
        lines: list[str] = []
        for info in infos:
            lines.append(f"{info.name} ({info.distribution} {info.version})")
            lines.extend(
                f"  {kind}: {', '.join(sorted(names))}" for kind, names in info.names.items()
            )
        _emit(as_json, plugins, lines)
