"""The local Notify answers GOV.UK Notify's own client as Notify does, and calls back as it does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import HTTPError

from embedded.notify_catcher import (
    EMBEDDED_EMAIL_TEMPLATE_ID,
    EMBEDDED_INBOUND_NUMBER,
    EMBEDDED_SMS_SENDER_ID,
    EMBEDDED_SMS_TEMPLATE_ID,
    NotifyCatcher,
    NotifyCatcherServer,
    development_api_key,
    start_notify_catcher,
)

CALLBACK_TOKEN = "callback-token-for-tests"
MOBILE = "07700 900123"
E164 = "+447700900123"


class Receiver:
    """The product's callback endpoints: keeps each post, answers from a script of statuses."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str | None, dict[str, Any]]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts.append(
                    (self.path, self.headers.get("Authorization"), json.loads(raw))
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def clear(self) -> None:
        self.posts.clear()
        self.statuses.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def running(receiver: Receiver) -> Iterator[NotifyCatcherServer]:
    catcher = NotifyCatcher(
        development_api_key(),
        receipt_delay=0.05,
        callback_retry_delay=0.02,
        echo=False,
        delivery_callback_url=f"{receiver.url}/notify/receipts",
        inbound_callback_url=f"{receiver.url}/notify/inbound",
        callback_token=CALLBACK_TOKEN,
    )
    with start_notify_catcher(catcher) as running:
        yield running


@pytest.fixture
def server(running: NotifyCatcherServer, receiver: Receiver) -> NotifyCatcherServer:
    """The module's catcher, with nothing sent, received or planned."""
    running.catcher.reset()
    receiver.clear()
    return running


@pytest.fixture
def client(server: NotifyCatcherServer) -> NotificationsAPIClient:
    return NotificationsAPIClient(server.catcher.api_key, base_url=server.url)


def send_text(client: NotificationsAPIClient, message: str = "ACK 482193", **options: Any) -> Any:
    return client.send_sms_notification(
        phone_number=options.pop("phone_number", MOBILE),
        template_id=EMBEDDED_SMS_TEMPLATE_ID,
        personalisation={"message": message},
        **options,
    )


def refusal(call: Callable[[], Any]) -> tuple[int, Any]:
    with pytest.raises(HTTPError) as refused:
        call()
    return refused.value.status_code, refused.value.message


def test_a_text_is_accepted_and_delivered(
    server: NotifyCatcherServer, client: NotificationsAPIClient
) -> None:
    sent = send_text(
        client, "Digwyddiad CDF-1", reference="ref-1", sms_sender_id=EMBEDDED_SMS_SENDER_ID
    )

    root = f"{server.url}/"
    service = server.catcher.service_id
    assert sent == {
        "id": sent["id"],
        "reference": "ref-1",
        "content": {"body": "Digwyddiad CDF-1", "from_number": EMBEDDED_INBOUND_NUMBER},
        "uri": f"{root}v2/notifications/{sent['id']}",
        "template": {
            "id": EMBEDDED_SMS_TEMPLATE_ID,
            "version": 1,
            "uri": f"{root}services/{service}/templates/{EMBEDDED_SMS_TEMPLATE_ID}",
        },
        "scheduled_for": None,
    }
    [kept] = server.catcher.sent("sms")
    assert (kept.id, kept.recipient, kept.body, kept.reference) == (
        sent["id"],
        E164,
        "Digwyddiad CDF-1",
        "ref-1",
    )

    eventually(lambda: client.get_notification_by_id(sent["id"])["status"] == "delivered")
    found = client.get_notification_by_id(sent["id"])
    assert found["phone_number"] == MOBILE  # as the sender wrote it, as Notify keeps it
    assert (found["type"], found["email_address"], found["subject"]) == ("sms", None, None)
    assert found["body"] == "Digwyddiad CDF-1"
    assert (
        found["template"]["uri"] == f"{root}service/{service}/template/{EMBEDDED_SMS_TEMPLATE_ID}"
    )
    assert found["cost_details"]["billable_sms_fragments"] == 1
    assert found["created_at"].endswith("Z") and found["completed_at"].endswith("Z")


def test_an_email_is_accepted_and_listed_by_reference(
    server: NotifyCatcherServer, client: NotificationsAPIClient
) -> None:
    server.catcher.set_outcome("Member@Personal.example", None)
    sent = client.send_email_notification(
        email_address="member@personal.example",
        template_id=EMBEDDED_EMAIL_TEMPLATE_ID,
        personalisation={"subject": "Incident CDF-1", "body": "Please acknowledge."},
        reference="ref-email",
    )
    assert sent["content"]["subject"] == "Incident CDF-1"
    assert sent["content"]["body"] == "Please acknowledge."
    send_text(client, reference="ref-text")

    listed = client.get_all_notifications(reference="ref-email")["notifications"]
    assert [n["id"] for n in listed] == [sent["id"]]
    assert listed[0]["email_address"] == "member@personal.example"
    assert listed[0]["status"] == "sending"
    nothing = client.get_all_notifications(template_type="email", reference="ref-text")
    assert nothing["notifications"] == []
    assert "next" not in nothing["links"]


def test_lists_are_newest_first_and_page_with_older_than(client: NotificationsAPIClient) -> None:
    ids = [send_text(client, f"text {n}", reference="same")["id"] for n in range(3)]

    page = client.get_all_notifications(reference="same")
    assert [n["id"] for n in page["notifications"]] == ids[::-1]
    assert "older_than=" + ids[0] in page["links"]["next"]
    older = client.get_all_notifications(reference="same", older_than=ids[1])
    assert [n["id"] for n in older["notifications"]] == [ids[0]]
    assert [n["id"] for n in client.get_all_notifications_iterator(reference="same")] == ids[::-1]


def test_a_reader_is_given_only_what_came_since_it_last_looked(
    server: NotifyCatcherServer, client: NotificationsAPIClient
) -> None:
    first = send_text(client, "first", reference="a")["id"]
    seen, position = server.catcher.sent_since(0)
    assert ([m.id for m in seen], position) == ([first], 1)
    assert server.catcher.sent_since(position) == ([], 1)
    second = send_text(client, "second", reference="b")["id"]
    newer, position = server.catcher.sent_since(position)
    assert ([m.id for m in newer], position) == ([second], 2)
    # A lookup by reference finds its own message among the others, and only it.
    assert [n["id"] for n in client.get_all_notifications(reference="b")["notifications"]] == [
        second
    ]


def test_a_wrong_key_is_refused_as_notify_refuses_it(server: NotifyCatcherServer) -> None:
    other_service = NotificationsAPIClient(development_api_key(), base_url=server.url)
    assert refusal(lambda: send_text(other_service)) == (
        403,
        [{"error": "AuthError", "message": "Invalid token: service not found"}],
    )
    wrong_secret = server.catcher.api_key[:-36] + development_api_key()[-36:]
    stolen_name = NotificationsAPIClient(wrong_secret, base_url=server.url)
    assert refusal(lambda: stolen_name.get_received_texts())[1] == [
        {"error": "AuthError", "message": "Invalid token: API key not found"}
    ]
    answer = httpx.get(f"{server.url}/v2/notifications")
    assert answer.status_code == 401
    assert answer.json() == {
        "status_code": 401,
        "errors": [
            {"error": "AuthError", "message": "Unauthorized: authentication token must be provided"}
        ],
    }
    assert server.catcher.sent() == []


@pytest.mark.parametrize(
    ("phone_number", "expected"),
    [
        ("029 2087 2087", "Not a UK mobile number"),
        ("+49 151 12345678", "Not a UK mobile number"),
        ("0770", "Not enough digits"),
        ("07700 9OO123", "Must not contain letters or symbols"),
    ],
)
def test_a_number_notify_would_not_text_is_refused(
    server: NotifyCatcherServer, client: NotificationsAPIClient, phone_number: str, expected: str
) -> None:
    assert refusal(lambda: send_text(client, phone_number=phone_number)) == (
        400,
        [{"error": "ValidationError", "message": f"phone_number {expected}"}],
    )
    assert server.catcher.sent() == []


@pytest.mark.parametrize(
    ("template_id", "personalisation", "expected"),
    [
        ("00000000-0000-4000-8000-000000000000", {"message": "x"}, "Template not found"),
        (
            EMBEDDED_EMAIL_TEMPLATE_ID,
            {"subject": "s", "body": "b"},
            "email template is not suitable for sms notification",
        ),
        (EMBEDDED_SMS_TEMPLATE_ID, {"other": "x"}, "Missing personalisation: message"),
    ],
)
def test_a_text_notify_would_not_send_is_refused(
    server: NotifyCatcherServer,
    client: NotificationsAPIClient,
    template_id: str,
    personalisation: dict[str, str],
    expected: str,
) -> None:
    status, errors = refusal(
        lambda: client.send_sms_notification(MOBILE, template_id, personalisation)
    )
    assert (status, errors) == (400, [{"error": "BadRequestError", "message": expected}])
    assert server.catcher.sent() == []


def test_unknown_and_malformed_ids(client: NotificationsAPIClient) -> None:
    assert refusal(lambda: client.get_notification_by_id("not-a-uuid")) == (
        400,
        [{"error": "ValidationError", "message": "notification_id is not a valid UUID"}],
    )
    assert refusal(
        lambda: client.get_notification_by_id("6a1f4b1e-0000-4000-8000-000000000000")
    ) == (
        404,
        [{"error": "NoResultFound", "message": "No result found"}],
    )


def test_receipts_reach_the_callback_with_the_bearer_token(
    server: NotifyCatcherServer, client: NotificationsAPIClient, receiver: Receiver
) -> None:
    server.catcher.set_outcome("+44 7700 900124", "permanent-failure")
    delivered = send_text(client, reference="ok")
    failed = send_text(client, phone_number="07700900124", reference="bad")

    eventually(lambda: len(receiver.posts) == 2)
    receipts = {body["id"]: (path, token, body) for path, token, body in receiver.posts}
    path, token, receipt = receipts[delivered["id"]]
    assert (path, token) == ("/notify/receipts", f"Bearer {CALLBACK_TOKEN}")
    assert set(receipt) == {
        "id", "reference", "to", "status", "created_at", "completed_at", "sent_at",
        "notification_type", "template_id", "template_version",
    }  # fmt: skip
    assert (receipt["to"], receipt["status"], receipt["reference"]) == (MOBILE, "delivered", "ok")
    assert (receipt["notification_type"], receipt["template_id"]) == (
        "sms",
        EMBEDDED_SMS_TEMPLATE_ID,
    )
    assert receipts[failed["id"]][2]["status"] == "permanent-failure"


def test_an_outcome_of_none_never_sends_a_receipt(
    server: NotifyCatcherServer, client: NotificationsAPIClient, receiver: Receiver
) -> None:
    server.catcher.set_outcome(MOBILE, None)
    sent = send_text(client)
    time.sleep(0.2)
    assert receiver.posts == []
    assert client.get_notification_by_id(sent["id"])["status"] == "sending"


def test_callbacks_are_retried_after_5xx_but_not_after_4xx(
    client: NotificationsAPIClient, receiver: Receiver
) -> None:
    receiver.statuses = [503, 500]
    send_text(client)
    eventually(lambda: len(receiver.posts) == 3)

    receiver.statuses = [401]
    send_text(client)
    eventually(lambda: len(receiver.posts) == 4)
    time.sleep(0.15)
    assert len(receiver.posts) == 4


def test_a_reply_is_kept_and_posted_as_notify_posts_it(
    server: NotifyCatcherServer, client: NotificationsAPIClient, receiver: Receiver
) -> None:
    text = server.catcher.reply("07700 900123", "ACK 482193")

    eventually(lambda: len(receiver.posts) == 1)
    path, token, posted = receiver.posts[0]
    assert (path, token) == ("/notify/inbound", f"Bearer {CALLBACK_TOKEN}")
    assert posted == {
        "id": text.id,
        "source_number": "447700900123",
        "destination_number": EMBEDDED_INBOUND_NUMBER,
        "message": "ACK 482193",
        "date_received": posted["date_received"],
    }
    listed = client.get_received_texts()["received_text_messages"]
    assert listed == [
        {
            "id": text.id,
            "user_number": "447700900123",
            "notify_number": EMBEDDED_INBOUND_NUMBER,
            "created_at": posted["date_received"],
            "service_id": server.catcher.service_id,
            "content": "ACK 482193",
        }
    ]
    server.catcher.reply("+447700900125", "ACK 000000", post_callback=False)
    assert [t["content"] for t in client.get_received_texts_iterator()] == [
        "ACK 000000",
        "ACK 482193",
    ]
    assert len(receiver.posts) == 1


def test_failures_of_notify_itself_keep_nothing(
    server: NotifyCatcherServer, client: NotificationsAPIClient
) -> None:
    server.catcher.fail_next(1, 500)
    server.catcher.fail_next(1, 429)
    assert refusal(lambda: send_text(client)) == (
        500,
        [{"error": "Exception", "message": "Internal server error"}],
    )
    assert refusal(lambda: send_text(client))[0] == 429
    assert server.catcher.sent() == []
    send_text(client)
    assert len(server.catcher.sent()) == 1


def test_a_held_answer_still_keeps_the_message(server: NotifyCatcherServer) -> None:
    server.catcher.hold_responses(0.5)
    impatient = NotificationsAPIClient(server.catcher.api_key, base_url=server.url, timeout=0.1)
    with pytest.raises(HTTPError):
        send_text(impatient, reference="taken")
    [kept] = server.catcher.sent()
    assert kept.reference == "taken"


def test_the_command_line_controls(
    server: NotifyCatcherServer, client: NotificationsAPIClient
) -> None:
    send_text(client, "Atebwch ACK 482193")
    answer = httpx.post(
        f"{server.url}/catcher/replies", json={"from_number": MOBILE, "message": "ACK 482193"}
    )
    assert answer.status_code == 201
    assert answer.json()["user_number"] == "447700900123"
    assert [t.content for t in server.catcher.received()] == ["ACK 482193"]

    listing = httpx.get(f"{server.url}/catcher/sms").json()
    assert [(t["phone_number"], t["body"], t["segments"]) for t in listing["sent"]] == [
        (E164, "Atebwch ACK 482193", 1)
    ]
    assert [t["content"] for t in listing["received"]] == ["ACK 482193"]
    not_json = httpx.post(f"{server.url}/catcher/replies", content=b"from_number=1")
    assert not_json.status_code == 415


def test_each_text_is_printed_and_kept_privately(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catcher = NotifyCatcher(
        development_api_key(), sms_dir=tmp_path / "sms", notify_dir=tmp_path / "notify-email"
    )
    with start_notify_catcher(catcher) as running:
        client = NotificationsAPIClient(catcher.api_key, base_url=running.url)
        send_text(client, "Dŵr\nline two")
        client.send_email_notification(
            "member@personal.example",
            EMBEDDED_EMAIL_TEMPLATE_ID,
            {"subject": "Incident CDF-1", "body": "Body"},
        )

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"sms   {E164}  (1 segment)  Dŵr / line two",
        "notify-email  member@personal.example  Incident CDF-1",
    ]
    [text_file] = (tmp_path / "sms").iterdir()
    assert (tmp_path / "sms").stat().st_mode & 0o777 == 0o700
    assert text_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(text_file.read_text())["body"] == "Dŵr\nline two"
    assert len(list((tmp_path / "notify-email").iterdir())) == 1
