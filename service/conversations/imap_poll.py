"""The IMAP poller (a periodic job, service/core/scheduler.py): for desks whose mail
arrives only in a mailbox.

1. Read the cursor (highest UID taken, per mailbox and UIDVALIDITY) and close the
   session before talking to the server.
2. Fetch `UID <last+1>:*` without marking anything seen (the mailbox stays the desk's).
3. Take each message in its own transaction (`inbound.receive_email`): its Message-ID
   is unique, so a message fetched by two workers at once, or again after a crash
   before the cursor moved, is taken once.
4. Move the cursor forward only (`WHERE last_uid < new`), whoever gets there first.
"""

from __future__ import annotations

import logging
import ssl

from flask import current_app, g
from imap_tools import AND, MailBox, MailBoxUnencrypted
from imap_tools.query import U
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from service.conversations.inbound import receive_email
from service.conversations.models import MailboxCursor
from service.core import db
from service.core.jobs import job_session

log = logging.getLogger(__name__)


def _mailbox_name(settings) -> str:
    return (
        f"{settings.imap_username}@{settings.imap_host}:{settings.imap_port}/{settings.imap_folder}"
    )


def _cursor(name: str) -> tuple[int, int]:
    with job_session() as session:
        row = session.get(MailboxCursor, name)
        if row is None:
            try:
                session.add(MailboxCursor(mailbox=name))
                session.commit()
            except IntegrityError:  # another worker made it first
                session.rollback()
            return 0, 0
        return row.uid_validity, row.last_uid


def _advance(name: str, uid_validity: int, uid: int) -> None:
    with job_session() as session:
        if session.get(MailboxCursor, name).uid_validity != uid_validity:
            session.execute(
                update(MailboxCursor)
                .where(MailboxCursor.mailbox == name)
                .values(uid_validity=uid_validity, last_uid=0)
            )
        session.execute(
            update(MailboxCursor)
            .where(
                MailboxCursor.mailbox == name,
                MailboxCursor.uid_validity == uid_validity,
                MailboxCursor.last_uid < uid,
            )
            .values(last_uid=uid)
        )
        session.commit()


def _connect(settings) -> MailBox | MailBoxUnencrypted:
    if settings.imap_security == "none":
        return MailBoxUnencrypted(settings.imap_host, settings.imap_port, timeout=30)
    return MailBox(
        settings.imap_host, settings.imap_port, timeout=30, ssl_context=ssl.create_default_context()
    )


def take(raw: bytes) -> str:
    """One fetched message, in its own transaction; returns the outcome."""
    with job_session() as session:
        try:
            outcome = receive_email(session, raw)
            session.commit()
        except IntegrityError:
            session.rollback()
            g.pop("after_commit", None)  # nothing was committed: nothing may follow
            return "duplicate"
    db.run_after_commit()
    return outcome.result


def poll_mailbox() -> dict[str, int]:
    """Take in what is new in the mailbox; counts per outcome."""
    settings = current_app.config["SETTINGS"]
    if not settings.imap_host:
        return {}
    name = _mailbox_name(settings)
    known_validity, last_uid = _cursor(name)
    counts: dict[str, int] = {}
    with _connect(settings).login(
        settings.imap_username or "", settings.imap_password or "", settings.imap_folder
    ) as mailbox:
        uid_validity = int(mailbox.folder.status(settings.imap_folder)["UIDVALIDITY"])
        start = last_uid + 1 if uid_validity == known_validity else 1
        for message in mailbox.fetch(AND(uid=U(start, "*")), mark_seen=False, bulk=50):
            uid = int(message.uid or 0)
            if uid < start:  # "N:*" names the last message even when N is past it
                continue
            result = take(message.obj.as_bytes())
            counts[result] = counts.get(result, 0) + 1
            _advance(name, uid_validity, uid)
    log.info("polled %s: %s", name, counts)
    return counts
