"""Reading an inbound e-mail: who wrote, to which addresses, in reply to what, the text
a person typed (quoted history and signature stripped), and whether a machine sent it.

Pure functions over the raw MIME bytes; no database, no Flask.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr
from typing import Final

import lxml.html
from mailparser_reply import EmailReplyParser

#: Quote headers the reply parser misses, cut before it runs. Its Chinese "写道" rule can
#: never match (its own look-ahead excludes every line it is meant to find), and
#: Outlook/Foxmail/QQ Mail's Chinese separators are not covered at all.
QUOTE_HEADERS: Final[tuple[re.Pattern[str], ...]] = (
    re.compile(r"^\s*(?:>\s*)*在.{0,200}写道\s*[：:]\s*$", re.MULTILINE),  # Gmail/Apple zh
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$", re.MULTILINE),  # Outlook/Foxmail zh
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(
        r"^\s*(?:发件人|寄件者)\s*[:：].*\n(?:.*\n){0,3}\s*(?:发送时间|日期|寄件日期)\s*[:：]",
        re.MULTILINE,
    ),
    # Gmail breaks a long "On <date>, <name> wrote:" over two lines.
    re.compile(r"^\s*On .{0,200}\n?.{0,200}wrote:\s*$", re.MULTILINE),
)
#: Where a signature starts: the RFC 3676 "-- " line, and the phones' own sign-offs.
SIGNATURES: Final[tuple[re.Pattern[str], ...]] = (
    re.compile(r"^-- ?$", re.MULTILINE),
    re.compile(r"^\s*(?:Sent from my |Get Outlook for |发自我的|从我的.{0,20}发送)", re.MULTILINE),
)
#: `Precedence` values of mail no person typed (RFC 3834 §2, common practice).
AUTO_PRECEDENCE: Final = frozenset({"bulk", "auto_reply", "list", "junk"})
#: Headers whose mere presence marks an automatic answer.
AUTO_HEADERS: Final = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")
_MESSAGE_ID: Final = re.compile(r"<[^<>\s]+>")
_MAX_BODY: Final = 20_000


@dataclass
class InboundMail:
    message_id: str
    sender: str
    sender_name: str
    recipients: list[str]
    reply_ids: list[str]  # In-Reply-To then References
    subject: str
    text: str  # the whole text part
    stripped: str  # what the person wrote
    #: None (a person), "auto_reply" or "bounce".
    automatic: str | None
    #: For a bounce: the addresses that failed, and the Message-IDs of what bounced.
    failed_recipients: list[str] = field(default_factory=list)
    bounced_ids: list[str] = field(default_factory=list)


def parse(raw: bytes, envelope_to: list[str] | None = None) -> InboundMail:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    name, sender = parseaddr(str(mail.get("From", "")))
    recipients = [a.lower() for a in envelope_to or []]
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for value in mail.get_all(header, []):
            recipients += [addr.lower() for _n, addr in _addresses(str(value))]
    message_id = _first_id(str(mail.get("Message-ID", "")))
    # A message without a Message-ID still has to be once-only.
    message_id = message_id or f"<sha256.{hashlib.sha256(raw).hexdigest()}@inbound>"
    reply_ids = _ids(mail.get_all("In-Reply-To", [])) + _ids(mail.get_all("References", []))
    text = body_text(mail)
    automatic = _automatic(mail)
    parsed = InboundMail(
        message_id=message_id,
        sender=sender.lower(),
        sender_name=name or sender,
        recipients=list(dict.fromkeys(recipients)),
        reply_ids=reply_ids,
        subject=" ".join(str(mail.get("Subject", "")).split())[:300],
        text=text[:_MAX_BODY],
        stripped=strip_quotes(text)[:_MAX_BODY],
        automatic=automatic,
    )
    if automatic == "bounce":
        parsed.failed_recipients, parsed.bounced_ids = _dsn(mail)
    return parsed


def _addresses(value: str) -> list[tuple[str, str]]:
    from email.utils import getaddresses

    return [(n, a) for n, a in getaddresses([value]) if "@" in a]


def _first_id(value: str) -> str:
    found = _MESSAGE_ID.findall(value)
    return found[0] if found else ""


def _ids(values: list) -> list[str]:
    return [mid for value in values for mid in _MESSAGE_ID.findall(str(value))]


def body_text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: best effort, never a failure
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        content = lxml.html.fromstring(content or "<p></p>").text_content()
    return content.replace("\r\n", "\n")


def strip_quotes(text: str) -> str:
    """The reply without the quoted history and signature; the whole text if nothing
    but a quote is left (better too much than an empty message)."""
    cut = text
    for pattern in QUOTE_HEADERS + SIGNATURES:
        if match := pattern.search(cut):
            cut = cut[: match.start()]
    lines = [line for line in cut.splitlines() if not line.lstrip().startswith(">")]
    cut = "\n".join(lines)
    reply = EmailReplyParser(languages=["en", "zh"]).parse_reply(text=cut) or cut
    reply = reply.strip()
    return reply or text.strip()


def _automatic(mail: Message) -> str | None:
    if (
        mail.get_content_type() == "multipart/report"
        and (mail.get_param("report-type") or "").lower() == "delivery-status"
    ):
        return "bounce"
    submitted = str(mail.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    if submitted != "no":
        return "auto_reply"
    if str(mail.get("Precedence", "")).strip().lower() in AUTO_PRECEDENCE:
        return "auto_reply"
    if any(mail.get(header) is not None for header in AUTO_HEADERS):
        return "auto_reply"
    return None


def _dsn(mail: Message) -> tuple[list[str], list[str]]:
    """RFC 3464: the failed `Final-Recipient`s, and the bounced message's Message-ID
    (from its returned copy or headers)."""
    failed, ids = [], []
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload():
                action = str(block.get("Action", "")).strip().lower()
                recipient = str(
                    block.get("Final-Recipient") or block.get("Original-Recipient") or ""
                )
                address = recipient.split(";", 1)[-1].strip().lower()
                if action == "failed" and "@" in address:
                    failed.append(address)
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            returned = part.get_payload()
            if isinstance(returned, list) and returned:
                ids += _ids([returned[0].get("Message-ID", "")])
            elif isinstance(returned, str):
                ids += _ids(re.findall(r"(?im)^Message-ID:\s*(.+)$", returned))
    return failed, ids
