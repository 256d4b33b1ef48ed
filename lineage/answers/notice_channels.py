"""Delivering a notice: e-mail over SMTP (standard library) or a signed webhook (httpx).

Blocking, with the configured timeout: a notice is sent while the request is being opened,
because the identifier it carries exists only then. A failure raises :class:`NoticeFailed` with
a reason that names the channel and the problem, never the address, the URL or the content.
"""

from __future__ import annotations

import smtplib
import ssl
import time

import httpx

from lineage.domain.notices import SIGNATURE_HEADER, TIMESTAMP_HEADER, Notice, signature
from lineage.errors import NoticeFailed
from lineage.settings import NoticeSettings


def send_email(settings: NoticeSettings, recipient: str, notice: Notice) -> None:
    if not settings.smtp_host:
        raise NoticeFailed("email: LINEAGE_NOTICE_SMTP_HOST is not set")
    message = notice.email(settings.sender, recipient)
    try:
        with _smtp(settings) as smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user and settings.smtp_password is not None:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise NoticeFailed(f"email: {type(exc).__name__}") from None


def _smtp(settings: NoticeSettings) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host or "", settings.smtp_port, settings.timeout_s
    if settings.smtp_security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)


def post_webhook(settings: NoticeSettings, url: str, notice: Notice) -> None:
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        raise NoticeFailed("webhook: LINEAGE_NOTICE_WEBHOOK_SECRET is not set")
    body = notice.json_bytes()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(settings.webhook_secret.get_secret_value().encode(), stamp, body),
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.timeout_s)
    except httpx.HTTPError as exc:
        raise NoticeFailed(f"webhook: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise NoticeFailed(f"webhook: HTTP {response.status_code}")
