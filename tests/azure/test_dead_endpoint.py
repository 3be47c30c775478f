"""Issue 17, finding 17: a dead endpoint fails with a clear, typed error naming it.

With nothing listening (a localhost port that was just closed), the Blob and
Queue clients used to retry a failed connect for about 84 s and then report
urllib3's text. Now they fail after one quick retry with
:class:`EndpointUnreachableError`, naming the endpoint (scheme, host and
port) and no secret. The time is not asserted here (no timed assertions);
it was measured by hand: about 1.5 s, from about 85 s.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from fluke.exceptions import FlukeError
from fluke_azure._errors import AzureStorageError, EndpointUnreachableError
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import AzureStorageQueue
from fluke_azure.storage import AzureBlobDir, AzureBlobFile

ACCOUNT = "devstoreaccount1"
#: Azurite's well-known key: a stand-in secret that must never be shown.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SAS = "sv=2024-08-04&ss=bq&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"


@pytest.fixture
def closed_port() -> int:
    """A localhost port nothing listens on (bound, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(params=["connection string", "SAS token"])
def dead_auth(request: pytest.FixtureRequest, closed_port: int) -> Iterator[AzureAuth]:
    """Credentials whose Blob and Queue endpoints are the closed port."""
    url = f"http://127.0.0.1:{closed_port}/{ACCOUNT}"
    if request.param == "connection string":
        yield AzureAuth.from_conn_string(
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={url};QueueEndpoint={url};"
        )
    else:
        yield AzureAuth.from_sas_token(url, SAS, queue_url=url)


def _check(error: BaseException, port: int) -> None:
    text = str(error)
    assert f"'http://127.0.0.1:{port}'" in text
    assert "connection refused" in text
    for secret in (KEY, SAS, "sig=", "c2VjcmV0"):
        assert secret not in text
        assert secret not in repr(error)
    assert isinstance(error, EndpointUnreachableError)
    assert error.endpoint == f"http://127.0.0.1:{port}"
    assert error.transient  # the engine's short retries apply, as on GCS


def test_blob_dir_on_dead_endpoint(dead_auth: AzureAuth, closed_port: int) -> None:
    with pytest.raises(EndpointUnreachableError) as caught:
        AzureBlobDir(dead_auth, "fluke-dead")
    assert isinstance(caught.value, (AzureStorageError, FlukeError))
    _check(caught.value, closed_port)


def test_blob_file_on_dead_endpoint(dead_auth: AzureAuth, closed_port: int) -> None:
    with pytest.raises(EndpointUnreachableError) as caught:
        AzureBlobFile(dead_auth, "fluke-dead", "a.txt")
    _check(caught.value, closed_port)


def test_queue_on_dead_endpoint(
    dead_auth: AzureAuth, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    queue = AzureStorageQueue(dead_auth, "fluke-dead")
    try:
        with pytest.raises(EndpointUnreachableError) as caught:
            queue.count()
        _check(caught.value, closed_port)

        with caplog.at_level(logging.ERROR, logger="fluke"):
            assert queue.push("hello") is False
        logged = caplog.text
        assert f"'http://127.0.0.1:{closed_port}'" in logged
        assert KEY not in logged
        assert "sig=" not in logged
    finally:
        queue.close()


def test_unresolvable_host_is_named() -> None:
    auth = AzureAuth.from_sas_token("http://fluke-no-such-host.invalid/devstoreaccount1", SAS)
    with pytest.raises(EndpointUnreachableError, match="does not resolve") as caught:
        AzureBlobDir(auth, "fluke-dead")
    assert "'http://fluke-no-such-host.invalid:80'" in str(caught.value)
    assert "sig=" not in str(caught.value)
