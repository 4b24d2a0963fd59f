"""The customer's pages, opened from the signed links in their notices.

- ``GET /c/<token>``: the case's status, items, timeline, quote and tracking;
- ``GET /c/quote/<token>`` with ``POST .../approve`` and ``POST .../decline``;
- ``GET /c/survey/<token>`` and ``POST /c/survey/<token>``.

Server-rendered HTML in the customer's language, no JavaScript, no external assets. A
GET never changes anything (link scanners follow GET links); every decision is an
explicit POST carrying a signed field that binds the form to the case and the quote or
survey it showed. A bad, revoked or expired link gets a page that reveals nothing.
"""
