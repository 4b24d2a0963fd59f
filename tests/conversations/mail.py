"""Real MIME messages as customers' mail programs and mail servers write them."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

ENGLISH_QUOTE = (
    "On Tue, Dec 1, 2026 at 10:00 AM Acme Service <service@shop.example> wrote:\n"
    "> Hi Jane,\n> please send the item to our service centre.\n> Case {number}\n"
)
CHINESE_QUOTE = (
    "在 2026年12月1日 10:00，Acme 客服 <service@shop.example> 写道：\n"
    "> 李伟，您好：\n> 请将商品寄回我们的维修中心。\n> 服务单 {number}\n"
)


def reply(
    *,
    sender: str,
    to: str,
    text: str,
    quote: str = "",
    in_reply_to: str | None = None,
    subject: str = "Re: A message about your case",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text + ("\n\n" + quote if quote else "") + "\n", charset="utf-8")
    return mail.as_bytes()


def bounce(
    *, failed: str, original_message_id: str, reporter: str = "mx.customer.example"
) -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes one."""
    raw = (
        "Content-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; {reporter}\n\n"
        f"Final-Recipient: rfc822; {failed}\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n"
    )
    headers = (
        "Content-Type: text/rfc822-headers\n\n"
        f"From: Service <service@shop.example>\nTo: {failed}\n"
        f"Message-ID: {original_message_id}\nSubject: A message about your case\n"
    )
    boundary = "dsn-boundary-1"
    body = (
        f"From: MAILER-DAEMON@{reporter}\n"
        f"To: service@shop.example\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: {make_msgid(domain=reporter)}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        f"--{boundary}\n{raw}\n"
        f"--{boundary}\n{headers}\n"
        f"--{boundary}--\n"
    )
    return body.encode()
