"""URLs → Dirs, Files and Queues, through the schemes plugins declare.

``fluke.dir("s3://bucket/prefix")``, ``fluke.file("sftp://user@host/etc/hosts")``,
``fluke.queue("sqs://queue-name")``. A plain path (no scheme) or ``file://``
is local disk; ``localq:///path/to/queues.db?queue=NAME`` is the local queue.
Credentials come from each provider's default chain unless ``auth`` is given.

A plain path is taken literally (``a%41.txt`` is the file of that name); only
``file://`` URLs are percent-decoded.

Secrets: this is where URLs enter Fluke, so this is where they are redacted.
:func:`redact_url` is the one way to show a URL; :func:`open_url` removes
the URL's password and signatures from any exception the scheme's opener
raises (and from the exceptions chained to it), and openers refuse user-info
where their scheme has no use for it (:func:`reject_userinfo`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlsplit

from fluke.exceptions import InvalidPathError

__all__ = [
    "open_local",
    "open_local_queue",
    "open_object_store",
    "open_url",
    "redact_url",
    "reject_userinfo",
    "scrub_exception",
    "split_url",
    "url_secrets",
]

Kind = Literal["dir", "file", "queue"]
#: The scheme a plugin declares to open every scheme no plugin claims (fluke-fsspec).
FALLBACK_SCHEME = "*"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: ``scheme://`` and the authority (up to the first ``/``, ``?`` or ``#``), as urlsplit reads it.
_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)")
#: Query (or fragment) parameters whose values are credentials.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;#](?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token"
    r"|x-goog-signature|x-goog-credential|token|access_token|id_token|refresh_token"
    r"|password|passwd|pwd|secret|client_secret|api[-_]?key|key|accountkey"
    r"|sharedaccesssignature)=)([^&;#\s]*)"
)
MASK = "***"
#: Secrets shorter than this are not searched for in free text (too many false hits).
_MIN_SECRET = 4


def redact_url(url: object, *, keep_user: bool = True) -> str:
    """``url`` fit to be shown: no password, signature or token in it.

    The password of the user-info becomes ``***`` (``sftp://me:***@host/``),
    and so do the values of query parameters that carry credentials (``sig=``,
    ``token=``, ``X-Amz-Signature=``...). With ``keep_user=False`` the whole
    user-info is masked (``s3://***@bucket/``). Works on malformed URLs too.
    A plain path (no ``scheme://``) is returned unchanged: it is a path.
    """
    text = str(url)
    match = _AUTHORITY.match(text)
    if match is None:
        return text
    userinfo, at, host = match.group(2).rpartition("@")
    if at:
        if not keep_user:
            userinfo = MASK
        elif ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":" + MASK
        text = f"{match.group(1)}{userinfo}@{host}{text[match.end() :]}"
    return _SECRET_PARAM.sub(lambda found: found.group(1) + MASK, text)


def url_secrets(url: object) -> tuple[str, ...]:
    """The credentials written into ``url`` (password, signatures...), raw and decoded.

    Only values of at least four characters: shorter ones cannot be searched
    for in text without masking innocent words.
    """
    text = str(url)
    match = _AUTHORITY.match(text)
    if match is None:
        return ()
    found: list[str] = []
    userinfo, at, _ = match.group(2).rpartition("@")
    if at and ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    found.extend(value.group(2) for value in _SECRET_PARAM.finditer(text))
    candidates = found + [unquote(secret) for secret in found]
    return tuple(s for s in dict.fromkeys(candidates) if len(s) >= _MIN_SECRET)


def _scrub_text(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _leaks(error: BaseException, secrets: tuple[str, ...]) -> bool:
    try:
        text = f"{error}|{error!r}"
    except Exception:  # pragma: no cover - a broken __str__: treat it as unsafe
        return True
    return any(secret in text for secret in secrets)


def _clean(error: BaseException, secrets: tuple[str, ...]) -> bool:
    """Rewrite ``error``'s string arguments and attributes; whether it is clean now."""
    if not _leaks(error, secrets):
        return True
    try:
        error.args = tuple(
            _scrub_text(arg, secrets) if isinstance(arg, str) else arg for arg in error.args
        )
        for name, value in list(vars(error).items()):
            if isinstance(value, str):
                setattr(error, name, _scrub_text(value, secrets))
    except (AttributeError, TypeError):  # pragma: no cover - read-only attributes
        return False
    return not _leaks(error, secrets)


def scrub_exception(error: BaseException, secrets: Iterable[str]) -> bool:
    """Remove ``secrets`` from ``error`` and from the exceptions chained to it, in place.

    String arguments and string attributes are rewritten. A chained exception
    (``__cause__`` or ``__context__``) that still shows a secret afterwards is
    cut off, with everything behind it. Returns whether ``error``'s own text
    is clean now (``False``: its ``__str__`` quotes a secret we cannot remove).
    """
    wanted = tuple(s for s in secrets if s and len(s) >= _MIN_SECRET)
    if not wanted:
        return True
    seen: set[int] = set()
    node: BaseException | None = error
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        cause, context = node.__cause__, node.__context__
        if cause is not None and not _clean(cause, wanted):
            node.__cause__ = None
            node.__suppress_context__ = True
            cause = None
        if context is not None and context is not cause and not _clean(context, wanted):
            node.__context__ = None
            context = None
        node = cause if cause is not None else context
    return _clean(error, wanted)


def reject_userinfo(parts: SplitResult, example: str) -> None:
    """Refuse ``user@`` / ``user:password@`` in a URL whose scheme has no use for it.

    :param example: the URL's expected form, for the message (``s3://bucket/key``).
    :raises InvalidPathError: the URL has user-info (the message masks all of it).
    """
    if "@" in parts.netloc:
        raise InvalidPathError(
            redact_url(parts.geturl(), keep_user=False),
            f"has a user name or password, which {parts.scheme}:// URLs do not take ({example})",
        )


def split_url(url: str) -> SplitResult:
    """Split ``url``; plain paths become ``file`` URLs (percent-encoded, so taken literally).

    :raises InvalidPathError: the URL is malformed (its secrets are hidden).
    """
    if not isinstance(url, str) or not url:
        raise InvalidPathError(repr(url), "is not a URL or path")
    if not _SCHEME.match(url):
        # a plain path is a path: encode it, so that open_local's decoding gives it back
        return SplitResult("file", "", quote(os.path.abspath(url), safe="/"), "", "")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError as error:
        reason = _scrub_text(str(error), url_secrets(url))
        raise InvalidPathError(redact_url(url), f"is a malformed URL ({reason})") from None
    return parts


def open_url(url: str, kind: Kind, *, auth: object | None = None, **options: Any) -> Any:
    """Open ``url`` as a ``dir``, ``file`` or ``queue`` with the scheme's plugin.

    Whatever the opener raises is rid of the URL's password and signatures.

    :raises ImportError: the scheme's package is not installed (it is named).
    :raises InvalidPathError: the URL is malformed or names no scheme we know.
    """
    from fluke import _plugins

    parts = split_url(url)
    scheme = parts.scheme.lower()
    declaration = _plugins.registry().find("scheme", scheme)
    if declaration is None:
        package = _plugins.KNOWN_PROVIDERS.get(scheme)
        if package is not None:
            raise ImportError(
                f"URL scheme {scheme!r} is provided by the {package} package, which is not "
                f"installed: pip install {package}"
            )
        # native plugins always win; then the fallback opener (scheme "*", fluke-fsspec)
        declaration = _plugins.registry().find("scheme", FALLBACK_SCHEME)
    if declaration is None:
        raise InvalidPathError(redact_url(url), f"uses scheme {scheme!r}, which no plugin provides")
    opener = declaration.load()
    if not callable(opener):
        raise TypeError(f"{declaration.target} is not callable")
    try:
        return opener(parts, kind, auth, options)
    except Exception as error:
        if scrub_exception(error, url_secrets(url)):
            raise
        raise InvalidPathError(
            redact_url(url), f"could not be opened ({type(error).__name__})"
        ) from None


def open_local(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Opener of plain paths and ``file://`` URLs."""
    from fluke.local import LocalDir, LocalFile

    reject_userinfo(parts, "file:///path")
    if parts.netloc not in ("", "localhost"):
        raise InvalidPathError(
            redact_url(parts.geturl()), "names a remote host; file:// URLs are local"
        )
    path = unquote(parts.path)
    if kind == "dir":
        return LocalDir(path, create_if_missing=bool(options.get("create_if_missing", False)))
    if kind == "file":
        return LocalFile(path)
    raise InvalidPathError(redact_url(parts.geturl()), "is a storage URL, not a queue")


def open_local_queue(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Opener of ``localq:///path/to/queues.db?queue=NAME`` (``#NAME`` also works).

    The path is absolute: ``localq://tmp/q.db`` names host ``tmp`` and is refused
    (write ``localq:///tmp/q.db``).
    """
    from fluke.localqueue import LocalQueue

    shown = redact_url(parts.geturl())
    reject_userinfo(parts, "localq:///path/to/queues.db?queue=NAME")
    if parts.netloc not in ("", "localhost"):
        raise InvalidPathError(
            shown,
            f"names host {parts.netloc!r}; localq:// URLs are local and their path is "
            "absolute (localq:///path/to/queues.db?queue=NAME)",
        )
    if kind != "queue":
        raise InvalidPathError(shown, "is a queue URL, not storage")
    name = parse_qs(parts.query).get("queue", [parts.fragment])[0]
    if not name:
        raise InvalidPathError(shown, "names no queue (add ?queue=NAME)")
    return LocalQueue(unquote(parts.path), name)


DirFactory = Callable[..., Any]
FileFactory = Callable[..., Any]


def open_object_store(
    parts: SplitResult,
    kind: Kind,
    options: Mapping[str, Any],
    *,
    make_dir: DirFactory,
    make_file: FileFactory,
) -> Any:
    """Shared opener logic of ``scheme://bucket/key`` URLs.

    ``make_dir(bucket, path_or_None, create_if_missing=..., cache=...)`` and
    ``make_file(bucket, key, cache=...)`` build the provider's classes.
    User-info (``user:password@``) is refused: buckets take none.
    """
    shown = redact_url(parts.geturl())
    reject_userinfo(parts, f"{parts.scheme}://bucket/key")
    bucket = parts.netloc
    key = unquote(parts.path).lstrip("/")
    if not bucket:
        raise InvalidPathError(shown, "names no bucket or container")
    cache = bool(options.get("cache", False))
    if kind == "dir":
        return make_dir(
            bucket,
            key or None,
            create_if_missing=bool(options.get("create_if_missing", False)),
            cache=cache,
        )
    if kind == "file":
        return make_file(bucket, key, cache=cache)
    raise InvalidPathError(shown, "is a storage URL, not a queue")
