"""Sample customers and items for the customer page tests."""

from __future__ import annotations

#: Bought long ago: out of warranty, so the repair needs a quote.
OUT_OF_WARRANTY = {"sku": "TV-55", "name": "Television 55", "purchase_date": "2020-03-01"}
#: Bought recently: in warranty, so its quote lines cost nothing.
IN_WARRANTY = {"sku": "RC-1", "name": "Remote control", "purchase_date": "2026-10-01"}

ENGLISH = {
    "external_id": "cust-en",
    "name": "Emma Brown",
    "email": "emma@example.com",
    "phone": "+44 7911 123456",
    "locale": "en",
    "time_zone": "Europe/London",
}
CHINESE = {
    "external_id": "cust-zh",
    "name": "李伟",
    "email": "li.wei@example.com",
    "phone": "+86 138 0013 8000",
    "locale": "zh-CN",
    "time_zone": "Asia/Shanghai",
}
