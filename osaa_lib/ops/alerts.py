"""Failure alerts: e-mail through SMTP and/or a JSON POST to a webhook, both optional.

An alert says what failed, where and where to look (command, environment, error, run id, log
file); it never carries secrets — every text is scrubbed of settings.secrets() before sending.
Sending problems are reported in the result and logged, never raised: an alert must not mask
the failure it is about.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.ops.runs import RunRecord, scrub

log = logging.getLogger(__name__)
TIMEOUT_S = 10


@dataclass
class AlertResult:
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def attempted(self) -> bool:
        return bool(self.sent or self.failed)


def alert_payload(settings: Settings, record: RunRecord) -> dict[str, Any]:
    """What the receiver gets: enough to act on, nothing secret."""
    secrets = settings.secrets()
    return {
        "event": "osaa.run.failed",
        "run_id": record.run_id,
        "command": record.command,
        "arguments": json.loads(scrub(json.dumps(record.arguments, default=str), secrets)),
        "environment": record.target,
        "space": record.space,
        "user": record.user,
        "host": record.host,
        "start": record.start,
        "end": record.end,
        "duration_s": record.duration_s,
        "exit_code": record.exit_code,
        "error": scrub(record.error or "", secrets),
        "log_file": record.log_file,
        "run_record": record.key,
        "logs_command": f"osaa logs --run {record.run_id}",
    }


def _email_text(payload: dict[str, Any]) -> str:
    lines = [
        f"The OSAA pipeline command `{payload['command']}` failed in {payload['environment']}.",
        "",
        f"Error:       {payload['error']}",
        f"Exit code:   {payload['exit_code']}",
        f"Run id:      {payload['run_id']}",
        f"User/space:  {payload['user']} / {payload['space']}",
        f"Host:        {payload['host']}",
        f"Started:     {payload['start']}  ({payload['duration_s']} s)",
        f"Log file:    {payload['log_file']}",
        f"Run record:  {payload['run_record']} (in the lake)",
        "",
        f"Read the log lines of this run with: {payload['logs_command']}",
    ]
    return "\n".join(lines) + "\n"


def send_email(settings: Settings, payload: dict[str, Any]) -> None:
    message = EmailMessage()
    message["Subject"] = (
        f"[osaa {payload['environment']}] FAILED: {payload['command']} ({payload['run_id']})"
    )
    message["From"] = settings.smtp_from
    message["To"] = settings.alert_email_to or ""
    message.set_content(scrub(_email_text(payload), settings.secrets()))
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=TIMEOUT_S) as smtp:
        if settings.smtp_user and settings.smtp_password:
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            smtp.login(settings.smtp_user, settings.smtp_password.value)
        smtp.send_message(message)


def post_webhook(settings: Settings, payload: dict[str, Any]) -> int:
    assert settings.alert_webhook_url
    body = scrub(json.dumps(payload, default=str), settings.secrets()).encode()
    request = urllib.request.Request(
        settings.alert_webhook_url.value,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "osaa-pipeline-alert"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
        return response.status


def notify_failure(settings: Settings, record: RunRecord) -> AlertResult:
    """Send the configured alerts for a failed run; never raises."""
    result = AlertResult()
    payload = alert_payload(settings, record)
    secrets = settings.secrets()
    if settings.smtp_host and settings.alert_email_to:
        try:
            send_email(settings, payload)
            result.sent.append("email")
        except (OSError, smtplib.SMTPException) as exc:
            result.failed["email"] = scrub(f"{type(exc).__name__}: {exc}", secrets)
    if settings.alert_webhook_url:
        try:
            status = post_webhook(settings, payload)
            result.sent.append(f"webhook (HTTP {status})")
        except (OSError, urllib.error.URLError, ValueError) as exc:
            # the URL itself is a secret (it often embeds a token): never echo it
            result.failed["webhook"] = scrub(f"{type(exc).__name__}: {exc}", secrets)
    for channel, problem in result.failed.items():
        log.warning("failure alert by %s could not be sent: %s", channel, problem)
    for channel in result.sent:
        log.info("failure alert sent by %s", channel)
    return result
