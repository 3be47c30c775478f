"""fluke.events: decoding recorded notifications (documentation formats) and the local queue.

The S3 and Event Grid payloads are real ones in the tests of fluke-aws and
fluke-azure; here the documentation's examples, GCS's in particular (there
is no local GCS that publishes notifications), pin every decoder's details.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from fluke.events import StorageEvent, parse, storage_events
from fluke.exceptions import FlukeError, InvalidEventError
from fluke.queues import LocalQueue


def key_of(uri: str) -> str:
    """The key an object-store opener reads from ``uri`` (as fluke-aws/-gcp/-azure do)."""
    return unquote(urlsplit(uri).path)[1:]


# -- Amazon S3 -------------------------------------------------------------------------------

# The example of the S3 user guide ("Event message structure"), with a second record.
S3_RECORD: dict[str, Any] = {
    "eventVersion": "2.1",
    "eventSource": "aws:s3",
    "awsRegion": "us-west-2",
    "eventTime": "1970-01-01T00:00:00.000Z",
    "eventName": "ObjectCreated:Put",
    "userIdentity": {"principalId": "AIDAJDPLRKLG7UEXAMPLE"},
    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
    "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
    "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "testConfigRule",
        "bucket": {
            "name": "amzn-s3-demo-bucket",
            "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
            "arn": "arn:aws:s3:::amzn-s3-demo-bucket",
        },
        "object": {
            "key": "HappyFace.jpg",
            "size": 1024,
            "eTag": "d41d8cd98f00b204e9800998ecf8427e",
            "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
            "sequencer": "0055AED6DCD90281E5",
        },
    },
}


def s3_record(key: str, name: str = "ObjectCreated:Put", **obj: Any) -> dict[str, Any]:
    record = json.loads(json.dumps(S3_RECORD))
    record["eventName"] = name
    record["s3"]["object"] = {"key": key, **obj}
    return record


def test_s3_documentation_example() -> None:
    (event,) = parse(json.dumps({"Records": [S3_RECORD]}))
    assert event == StorageEvent(
        kind="created",
        uri="s3://amzn-s3-demo-bucket/HappyFace.jpg",
        source="s3",
        bucket="amzn-s3-demo-bucket",
        key="HappyFace.jpg",
        size=1024,
        etag="d41d8cd98f00b204e9800998ecf8427e",
        version="096fKKXTRTtl3on89fVO.nfljtsv6qko",
        event_type="ObjectCreated:Put",
        time="1970-01-01T00:00:00.000Z",
    )
    assert event.raw == S3_RECORD
    assert event.to_dict()["uri"] == event.uri and "raw" not in event.to_dict()
    assert event.to_dict(raw=True)["raw"] == S3_RECORD


@pytest.mark.parametrize(
    ("encoded", "key"),
    [
        ("my+report+2026.csv", "my report 2026.csv"),
        ("a%2Bb%2Bc.txt", "a+b+c.txt"),
        ("d%C3%BCsseldorf/%E2%82%AC+prices.txt", "düsseldorf/€ prices.txt"),
        ("100%25+done%3F%23.txt", "100% done?#.txt"),
        ("dir/sub/file.bin", "dir/sub/file.bin"),
    ],
)
def test_s3_keys_are_unquote_plus_decoded_and_the_uri_round_trips(encoded: str, key: str) -> None:
    (event,) = parse(json.dumps({"Records": [s3_record(encoded, size=3)]}))
    assert event.key == key
    assert key_of(event.uri) == key
    assert urlsplit(event.uri).netloc == "amzn-s3-demo-bucket"


def test_s3_several_records_per_message_and_kinds() -> None:
    body = json.dumps(
        {
            "Records": [
                s3_record("one.txt", size=1, eTag="e1"),
                s3_record("two.txt", "ObjectRemoved:Delete", versionId="v2"),
                s3_record("three.txt", "ObjectRestore:Completed", size=3),
                s3_record("four.txt", "LifecycleTransition", size=4),
                s3_record("five.txt", "ObjectTagging:Put"),
                s3_record("six.txt", "Replication:OperationFailedReplication"),
            ]
        }
    )
    events = parse(body)
    assert [(e.key, e.kind) for e in events] == [
        ("one.txt", "created"),
        ("two.txt", "deleted"),
        ("three.txt", "restored"),
        ("four.txt", "archived"),
        ("five.txt", "metadata_updated"),
        ("six.txt", "other"),
    ]
    assert events[1].size is None and events[1].etag is None and events[1].version == "v2"


def test_s3_test_event_holds_no_event() -> None:
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-01-01T00:00:00.000Z",
        "Bucket": "amzn-s3-demo-bucket",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
    assert parse(json.dumps(test_event)) == []


def test_s3_through_sns_is_unwrapped() -> None:
    envelope = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:uploads",
        "Subject": "Amazon S3 Notification",
        "Message": json.dumps({"Records": [s3_record("in+sns.txt", size=5)]}),
    }
    (event,) = parse(json.dumps(envelope))
    assert event.key == "in sns.txt" and event.size == 5


# -- Azure Event Grid ------------------------------------------------------------------------

TOPIC = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/Storage"
    "/providers/Microsoft.Storage/storageAccounts/my-storage-account"
)


def eventgrid_created(name: str, *, container: str = "test-container") -> dict[str, Any]:
    """The BlobCreated example of the Event Grid Blob Storage schema page."""
    return {
        "topic": TOPIC,
        "subject": f"/blobServices/default/containers/{container}/blobs/{name}",
        "eventType": "Microsoft.Storage.BlobCreated",
        "eventTime": "2017-06-26T18:41:00.9584103Z",
        "id": "831e1650-001e-001b-66ab-eeb76e069631",
        "data": {
            "api": "PutBlockList",
            "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
            "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
            "eTag": "0x8D4BCC2E4835CD0",
            "contentType": "text/plain",
            "contentLength": 524288,
            "blobType": "BlockBlob",
            "url": f"https://my-storage-account.blob.core.windows.net/{container}/{name}",
            "sequencer": "00000000000004420000000000028963",
            "storageDiagnostics": {"batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"},
        },
        "dataVersion": "",
        "metadataVersion": "1",
    }


def cloudevent(event: dict[str, Any]) -> dict[str, Any]:
    """The same event in the CloudEvents 1.0 schema."""
    return {
        "source": event["topic"],
        "subject": event["subject"],
        "type": event["eventType"],
        "time": event["eventTime"],
        "id": event["id"],
        "data": event["data"],
        "specversion": "1.0",
    }


def eventgrid_deleted(name: str) -> dict[str, Any]:
    event = eventgrid_created(name)
    event["eventType"] = "Microsoft.Storage.BlobDeleted"
    event["data"] = {
        "api": "DeleteBlob",
        "requestId": "4c2359fe-001e-00ba-0e04-58586806d298",
        "contentType": "text/plain",
        "blobType": "BlockBlob",
        "url": event["data"]["url"],
        "sequencer": "0000000000000281000000000002F5CA",
    }
    return event


@pytest.mark.parametrize("schema", ["eventgrid", "cloudevents"])
@pytest.mark.parametrize("encoding", ["text", "base64"])
def test_event_grid_created_and_deleted(schema: str, encoding: str) -> None:
    name = "dir/new file ü+€.txt"
    created, deleted = eventgrid_created(name), eventgrid_deleted(name)
    if schema == "cloudevents":
        created, deleted = cloudevent(created), cloudevent(deleted)
    for doc, kind in ((created, "created"), (deleted, "deleted")):
        body = json.dumps(doc)
        if encoding == "base64":
            body = base64.b64encode(body.encode()).decode()
        (event,) = parse(body)
        assert event.kind == kind and event.source == "azure"
        assert (event.bucket, event.key) == ("test-container", name)
        assert event.uri.startswith(
            "abfss://test-container@my-storage-account.dfs.core.windows.net/"
        )
        assert key_of(event.uri) == name
        assert event.time == "2017-06-26T18:41:00.9584103Z"
        if kind == "created":
            assert (event.size, event.etag) == (524288, "0x8D4BCC2E4835CD0")
        else:
            assert (event.size, event.etag) == (None, None)


def test_event_grid_arrays_and_fallbacks() -> None:
    # Event Grid posts arrays to webhooks; a forwarder may pass one on whole.
    events = parse(json.dumps([eventgrid_created("a.txt"), eventgrid_created("b.txt")]))
    assert [e.key for e in events] == ["a.txt", "b.txt"]
    # No storageAccounts/ in the topic: the account comes from data.url; no subject: from the url.
    odd = eventgrid_created("x y.txt")
    odd["topic"], odd["subject"] = "", ""
    odd["data"]["url"] = "https://acct2.blob.core.windows.net/c2/x%20y.txt"
    (event,) = parse(json.dumps(odd))
    assert event.uri == "abfss://c2@acct2.dfs.core.windows.net/x%20y.txt"
    # Emulator-style URL (Azurite): http://127.0.0.1:10000/account/container/blob
    odd["data"]["url"] = "http://127.0.0.1:10000/devstoreaccount1/c3/x%20y.txt"
    (event,) = parse(json.dumps(odd))
    assert event.uri == "abfss://c3@devstoreaccount1.dfs.core.windows.net/x%20y.txt"


def test_event_grid_validation_event_is_skipped_and_other_types_refused() -> None:
    validation = {
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        "topic": "/subscriptions/xx/resourceGroups/yy",
        "subject": "",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2018-01-25T22:12:19.4556811Z",
        "metadataVersion": "1",
        "dataVersion": "1",
    }
    assert parse(json.dumps(validation)) == []
    other = eventgrid_created("a.txt")
    other["eventType"] = "Microsoft.Resources.ResourceWriteSuccess"
    with pytest.raises(InvalidEventError, match="not a Blob Storage event"):
        parse(json.dumps(other))
    summary = eventgrid_created("a.txt")
    summary["eventType"] = "Microsoft.Storage.LifecyclePolicyCompleted"
    summary["subject"] = "BlobDataManagement/LifeCycleManagement/SummaryReport"
    del summary["data"]["url"]
    with pytest.raises(InvalidEventError, match="names no blob"):
        parse(json.dumps(summary))


# -- Google Cloud Storage --------------------------------------------------------------------

# The JSON_API_V1 payload of the "Pub/Sub notifications for Cloud Storage" page.
GCS_ATTRIBUTES = {
    "notificationConfig": "projects/_/buckets/my-bucket/notificationConfigs/3",
    "eventType": "OBJECT_FINALIZE",
    "payloadFormat": "JSON_API_V1",
    "bucketId": "my-bucket",
    "objectId": "photos/my photo+1 ü.jpg",
    "objectGeneration": "1701234567890123",
    "eventTime": "2026-01-01T12:00:00.123456Z",
}
GCS_RESOURCE = {
    "kind": "storage#object",
    "id": "my-bucket/photos/my photo+1 ü.jpg/1701234567890123",
    "selfLink": "https://www.googleapis.com/storage/v1/b/my-bucket/o/photos%2Fmy%20photo%2B1%20%C3%BC.jpg",
    "name": "photos/my photo+1 ü.jpg",
    "bucket": "my-bucket",
    "generation": "1701234567890123",
    "metageneration": "1",
    "contentType": "image/jpeg",
    "timeCreated": "2026-01-01T12:00:00.100Z",
    "updated": "2026-01-01T12:00:00.100Z",
    "storageClass": "STANDARD",
    "size": "102400",
    "md5Hash": "1B2M2Y8AsgTpgAmY7PhCfg==",
    "crc32c": "AAAAAA==",
    "etag": "CLfy7oDK9YIDEAE=",
}


def gcs_message(event_type: str = "OBJECT_FINALIZE", data: Any = "base64") -> dict[str, Any]:
    if data == "base64":
        data = base64.b64encode(json.dumps(GCS_RESOURCE).encode()).decode()
    return {
        "attributes": {**GCS_ATTRIBUTES, "eventType": event_type},
        "data": data,
        "messageId": "2070443601311540",
        "publishTime": "2026-01-01T12:00:00.200Z",
    }


def check_gcs(event: StorageEvent, kind: str = "created", *, size: int | None = 102400) -> None:
    assert event.kind == kind and event.source == "gcs"
    assert (event.bucket, event.key) == ("my-bucket", "photos/my photo+1 ü.jpg")
    assert urlsplit(event.uri).netloc == "my-bucket" and key_of(event.uri) == event.key
    assert event.version == "1701234567890123"
    assert event.size == size


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("OBJECT_FINALIZE", "created"),
        ("OBJECT_DELETE", "deleted"),
        ("OBJECT_ARCHIVE", "archived"),
        ("OBJECT_METADATA_UPDATE", "metadata_updated"),
    ],
)
def test_gcs_pubsub_message_json_api_v1(event_type: str, kind: str) -> None:
    (event,) = parse(json.dumps(gcs_message(event_type)))
    check_gcs(event, kind)
    assert event.etag == "CLfy7oDK9YIDEAE=" and event.event_type == event_type
    assert event.time == "2026-01-01T12:00:00.123456Z"
    assert event.raw == {"attributes": gcs_message(event_type)["attributes"], "data": GCS_RESOURCE}


def test_gcs_other_shapes() -> None:
    # A push subscription's envelope.
    push = {"message": gcs_message(), "subscription": "projects/p/subscriptions/s"}
    check_gcs(parse(json.dumps(push))[0])
    # data already decoded, and payloadFormat NONE (no data: the attributes alone).
    check_gcs(parse(json.dumps(gcs_message(data=GCS_RESOURCE)))[0])
    check_gcs(parse(json.dumps(gcs_message(data=None)))[0], size=None)
    # The bare object resource: no event type, taken as created.
    check_gcs(parse(json.dumps(GCS_RESOURCE))[0])
    # An Eventarc CloudEvent.
    cloud = {
        "specversion": "1.0",
        "type": "google.cloud.storage.object.v1.deleted",
        "source": "//storage.googleapis.com/projects/_/buckets/my-bucket",
        "subject": "objects/photos/my photo+1 ü.jpg",
        "id": "1234",
        "time": "2026-01-01T12:00:00.123456Z",
        "data": GCS_RESOURCE,
    }
    check_gcs(parse(json.dumps(cloud))[0], "deleted")
    # As base64 text too (a queue that carries base64).
    body = base64.b64encode(json.dumps(gcs_message()).encode()).decode()
    check_gcs(parse(body)[0])


def test_gcs_unknown_event_type_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="'BUCKET_DELETE' is not an object event"):
        parse(json.dumps(gcs_message("BUCKET_DELETE")))


# -- not events ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "it is empty"),
        ("incoming/report.csv", "neither JSON nor base64"),
        ("{not json", "not valid JSON"),
        ("42", "neither JSON nor base64"),
        ("[]", "empty JSON array"),
        ('["a"]', "JSON str, not an event object"),
        ('{"hello": "world"}', "no S3 notification"),
        ('{"Records": []}', "Records list is empty"),
        (base64.b64encode(b"plain text").decode(), "not valid JSON"),
        (json.dumps({"Records": [{**S3_RECORD, "eventSource": "aws:sqs"}]}), "'aws:sqs'"),
        (json.dumps({"Records": [s3_record("")]}), "no bucket name or object key"),
        (json.dumps({"Records": [S3_RECORD, "x"]}), "a record is not a JSON object"),
    ],
)
def test_not_an_event_is_a_typed_error_naming_the_message(body: str, reason: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse(body)
    assert isinstance(caught.value, FlukeError) and isinstance(caught.value, ValueError)
    assert reason in str(caught.value)
    assert repr(body[:20])[1:-1] in str(caught.value)
    assert caught.value.body == body


def test_parse_wants_text() -> None:
    with pytest.raises(TypeError, match="bytes"):
        parse(b"{}")  # type: ignore[arg-type]


# -- storage_events on a real (local) queue --------------------------------------------------


@pytest.fixture
def queue(tmp_path: Path) -> LocalQueue:
    return LocalQueue(str(tmp_path / "q.db"), "events", visibility_timeout=1)


def test_storage_events_yields_every_event_and_reports_non_events(
    queue: LocalQueue, caplog: pytest.LogCaptureFixture
) -> None:
    messages = [
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}),
        json.dumps({"Records": [s3_record("a+1.txt", size=1), s3_record("b.txt", size=2)]}),
        "not an event",
        json.dumps(eventgrid_created("c.txt")),
        json.dumps(gcs_message()),
    ]
    for message in messages:
        assert queue.push(message, suppress_output=True)
    with caplog.at_level(logging.ERROR, logger="fluke.events"):
        events = list(storage_events(queue, batch_size=2))
    assert [e.key for e in events] == ["a 1.txt", "b.txt", "c.txt", GCS_ATTRIBUTES["objectId"]]
    (record,) = [r for r in caplog.records if r.name == "fluke.events"]
    assert "'not an event'" in record.getMessage() and "'events'" in record.getMessage()
    assert queue.count() == 0  # every message consumed, the test event and the bad one too


def test_storage_events_on_invalid_and_at_least_once(queue: LocalQueue) -> None:
    queue.push("garbage", suppress_output=True)
    body = json.dumps({"Records": [s3_record("k.txt")]})
    queue.push(body, suppress_output=True)
    seen: list[tuple[str, str]] = []
    events = storage_events(queue, on_invalid=lambda body, err: seen.append((body, str(err))))
    assert next(events).key == "k.txt"
    assert seen and seen[0][0] == "garbage" and "not a storage event" in seen[0][1]
    events.close()  # stopped while k.txt was handled: nacked, visible again at once
    assert queue.count() == 1  # the garbage was acked: it can never become an event
    assert queue.peek() == [body]


def test_storage_events_failing_consumer_gets_its_messages_back_at_once(tmp_path: Path) -> None:
    queue = LocalQueue(str(tmp_path / "q.db"), "events", visibility_timeout=600)
    bodies = [json.dumps({"Records": [s3_record(f"k{i}.txt")]}) for i in range(3)]
    for body in bodies:
        queue.push(body, suppress_output=True)
    handled = []
    with pytest.raises(RuntimeError):
        for event in storage_events(queue):
            if event.key == "k1.txt":
                raise RuntimeError("transfer failed")
            handled.append(event.key)
    assert handled == ["k0.txt"]
    # k0 was acked; k1 (failed) and k2 (received, not reached) are nacked, not hidden 600 s
    assert sorted(queue.peek()) == sorted(bodies[1:])


def test_storage_events_lease_outlives_the_visibility_timeout(tmp_path: Path) -> None:
    path = str(tmp_path / "q.db")
    queue = LocalQueue(path, "events", visibility_timeout=1)
    queue.push(json.dumps({"Records": [s3_record("slow.txt")]}), suppress_output=True)
    other = LocalQueue(path, "events", visibility_timeout=1)
    for _event in storage_events(queue):
        time.sleep(2.5)  # a long transfer: the lease keeps renewing the message
        assert other.receive(10) == []
    assert queue.count() == 0


def test_storage_events_pre_delivery_delete_acks_first(queue: LocalQueue) -> None:
    queue.push(json.dumps({"Records": [s3_record("k.txt")]}), suppress_output=True)
    events = storage_events(queue, pre_delivery_delete=True)
    assert next(events).key == "k.txt"
    events.close()
    assert queue.count() == 0


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 0},
        {"num_messages": -1},
        {"polling_frequency": float("nan")},
        {"visibility_timeout": 0},
    ],
)
def test_storage_events_checks_options_at_once(queue: LocalQueue, options: Any) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        storage_events(queue, **options)


# -- CLI -------------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )


def test_cli_events_prints_one_json_line_per_event(tmp_path: Path) -> None:
    url = f"localq://{tmp_path}/q.db?queue=events"
    body = json.dumps({"Records": [s3_record("a+b.txt", size=1), s3_record("c%2B.txt", size=2)]})
    assert run("queue", "push", url, body, json.dumps(gcs_message())).returncode == 0
    done = run("events", url)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(line["kind"], line["key"]) for line in lines] == [
        ("created", "a b.txt"),
        ("created", "c+.txt"),
        ("created", GCS_ATTRIBUTES["objectId"]),
    ]
    assert lines[0]["uri"] == "s3://amzn-s3-demo-bucket/a%20b.txt" and "raw" not in lines[0]
    assert run("queue", "count", url).stdout.strip() == "0"


def test_cli_events_reports_a_bad_message_and_goes_on(tmp_path: Path) -> None:
    url = f"localq://{tmp_path}/q.db?queue=events"
    run("queue", "push", url, "junk", json.dumps(eventgrid_created("x.txt")))
    done = run("events", "--raw", url)
    assert done.returncode == 3
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["raw"]["eventType"] == "Microsoft.Storage.BlobCreated"
    assert "'junk' is not a storage event" in done.stderr
    run("queue", "push", url, "junk")
    assert run("events", url).returncode == 1
