"""Conversations: staff write to the customer from the case, and the customer's e-mail
and SMS replies come back to it.

Writing (`outbound.write_message`, `POST /cases/{case}/messages`)
    The text (typed, or a storefront's saved reply in the customer's locale) has its
    placeholders filled (`outbound.PLACEHOLDERS`), then leaves as a notice: the outbox
    writes one row per chosen channel with template `message`, so consent, bounces,
    quiet hours, retries and exactly-once delivery are the notices' own. Each channel
    is a contact log entry (outbound, author): the first one meets the first-response
    clock. The case's `customer_replied` flag clears. An internal note is a message of
    kind `note`: no notice, an internal timeline event, never on the customer's page.

Threading (`addresses`)
    Every customer e-mail carries `Reply-To: c<token>@REPLY_DOMAIN` (the case id and its
    HMAC) and our deterministic `Message-ID` (`<notice-<id>.email@aftersales>`).

Taking in (`inbound`), one message per transaction, from the webhook
(`POST /webhooks/mail/inbound`, raw MIME, `X-Inbound-Signature: sha256=<hmac>`), the
IMAP poller (`imap_poll`, periodic) or the SMS webhook:

    1. Our own mail coming back (from EMAIL_FROM, DESK_EMAIL, the reply domain, or with
       one of our Message-IDs) is dropped: a loop ends at its first turn.
    2. Claim: INSERT the message with its unique `external_id` (Message-ID, or
       `sms:<sid>`). A second copy, from a retry, a second poll or a racing worker,
       fails the INSERT and is reported as a duplicate, having changed nothing.
    3. Recognise machines (`parsing`): a DSN (multipart/report; delivery-status) is a
       bounce; `Auto-Submitted` other than `no`, `Precedence: bulk|auto_reply|list|junk`
       or `X-Autoreply` is an automatic answer.
    4. Match, first hit wins:

       ===================  =================================================
       signed reply address  the case it names (a forged one names nothing)
       In-Reply-To, References  the case of our notice it answers
       sender (e-mail/phone)  their one open case; several: unmatched
       to DESK_EMAIL         a new inquiry case (channel email) by intake
       nothing               the unmatched list (`GET /inbound/unmatched`)
       ===================  =================================================

    5. Act by kind:

       ===========  ==============================================================
       reply        attached (`replies.attach_reply`): contact log (inbound),
                    timeline, customer page, `customer_replied`, assignee e-mailed,
                    SLA clocks as `sla.clocks.REPLY_ENDS_WAIT` says
       auto_reply   logged on the case (internal); no flag, no reopening, no
                    notice, never opens a case: nothing ever answers a machine
       bounce       every customer with the failed address gets
                    `email_bounced_at`: their e-mail is suppressed until it changes
       ===========  ==============================================================

    SMS: STOP/START stay keywords (service/notifications/consent.py); any other text
    from a known number is a reply matched by sender; from an unknown number, nothing.

Stripping: quoted history and signatures go (`parsing.strip_quotes`: our table of
Chinese and English quote headers, then mail-parser-reply); the whole message is kept in
`original`.
"""
