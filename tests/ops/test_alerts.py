"""Failure alerts received by a real SMTP server (aiosmtpd) and a real HTTP receiver."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import typer

from osaa_lib.cli._common import guarded
from osaa_lib.errors import TransformError
from osaa_lib.ops import alerts, runs
from tests.ops.conftest import free_port

SECRET = "sk-live-0123456789abcdef"
TOKEN = "hooktoken-7f7f7f7f"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.got = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.got.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[int, list[dict]]]:
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {
                    "path": self.path,
                    "type": self.headers["Content-Type"],
                    "body": json.loads(body),
                    "raw": body.decode(),
                }
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()


def _failed_record(settings) -> runs.RunRecord:
    with pytest.raises(TransformError), runs.track(settings, "etl", {"model": "sources.sdg"}) as r:
        r.log_file = "/var/log/osaa-pipeline/osaa-2026-11-29.log"
        raise TransformError(f"model sources.sdg failed; credentials {SECRET} rejected")
    return r


def test_email_and_webhook_are_received(make_settings, smtp, webhook) -> None:
    (smtp_port, inbox), (http_port, received) = smtp, webhook
    s = make_settings(
        {
            "TARGET": "qa",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_FROM": "pipeline@osaa.test",
            "ALERT_EMAIL_TO": "team@un.test",
            "ALERT_WEBHOOK_URL": f"http://127.0.0.1:{http_port}/hooks/osaa?token={TOKEN}",
            "AWS_SECRET_ACCESS_KEY": SECRET,
        }
    )
    record = _failed_record(s)
    result = alerts.notify_failure(s, record)
    assert result.sent == ["email", "webhook (HTTP 204)"] and not result.failed
    assert inbox.got.wait(5)
    mail_from, rcpt, content = inbox.messages[0]
    assert mail_from == "pipeline@osaa.test" and rcpt == ["team@un.test"]
    mail = message_from_bytes(content)
    assert "[osaa qa] FAILED: etl" in mail["Subject"]
    text = mail.get_payload(decode=True).decode()
    for expected in (
        "`etl` failed in qa",
        "model sources.sdg failed",
        record.run_id,
        "/var/log/osaa-pipeline/osaa-2026-11-29.log",
        "osaa logs --run",
    ):
        assert expected in text
    (hook,) = received
    assert hook["path"] == f"/hooks/osaa?token={TOKEN}" and hook["type"] == "application/json"
    body = hook["body"]
    assert body["command"] == "etl" and body["environment"] == "qa"
    assert body["arguments"] == {"model": "sources.sdg"} and body["exit_code"] == 5
    assert body["log_file"].endswith("osaa-2026-11-29.log")
    for raw in (content.decode(), hook["raw"]):
        assert SECRET not in raw and TOKEN not in raw
        assert "***" in raw


def test_unreachable_receivers_are_logged_not_raised(
    make_settings, caplog: pytest.LogCaptureFixture
) -> None:
    dead = free_port()
    s = make_settings(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(dead),
            "ALERT_EMAIL_TO": "team@un.test",
            "ALERT_WEBHOOK_URL": f"http://127.0.0.1:{dead}/x?token={TOKEN}",
        }
    )
    with caplog.at_level(logging.WARNING):
        result = alerts.notify_failure(s, _failed_record(s))
    assert result.sent == [] and set(result.failed) == {"email", "webhook"}
    assert "could not be sent" in caplog.text and TOKEN not in caplog.text


def test_no_alert_settings_means_no_alert(settings) -> None:
    assert not alerts.notify_failure(settings, _failed_record(settings)).attempted


def test_cli_failure_alerts_and_keeps_exit_code(osaa, webhook) -> None:
    http_port, received = webhook

    def etl(ctx: typer.Context) -> None:
        raise TransformError("plan failed")

    def ok(ctx: typer.Context) -> None:
        """Succeeds: no alert."""

    app = typer.Typer()
    app.command("etl")(guarded(etl))
    app.command("ok")(guarded(ok))
    url = f"http://127.0.0.1:{http_port}/hook"
    assert osaa("ok", app_=app, ALERT_WEBHOOK_URL=url).exit_code == 0
    assert received == []
    result = osaa("etl", app_=app, ALERT_WEBHOOK_URL=url)
    assert result.exit_code == TransformError.exit_code
    assert "plan failed" in result.output
    (hook,) = received
    assert hook["body"]["command"] == "etl" and hook["body"]["error"] == "plan failed"


def test_cli_alert_failure_does_not_mask_the_error(osaa) -> None:
    def etl(ctx: typer.Context) -> None:
        raise TransformError("plan failed")

    app = typer.Typer()
    app.command("etl")(guarded(etl))
    app.command("noop")(lambda: None)
    result = osaa("etl", app_=app, ALERT_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/x")
    assert result.exit_code == TransformError.exit_code
    assert "plan failed" in result.output


def test_cli_interrupted_run_sends_no_alert(osaa, webhook) -> None:
    http_port, received = webhook

    def etl(ctx: typer.Context) -> None:
        raise KeyboardInterrupt

    app = typer.Typer()
    app.command("etl")(guarded(etl))
    app.command("noop")(lambda: None)
    result = osaa("etl", app_=app, ALERT_WEBHOOK_URL=f"http://127.0.0.1:{http_port}/hook")
    assert result.exit_code != 0
    assert received == []
