"""Kuaidi100 (快递100) subscription push.

Subscribing: `POST <base>/poll`, form `schema=json&param=<json>` where param holds
`company`, `number`, `key` and `parameters.callbackurl` / `parameters.salt`.
It answers `{"result": true, "returnCode": "200", "message": "提交成功"}`; returnCode
501 means the number is already subscribed (a success for us).

Pushing: Kuaidi100 posts a form with `param` (JSON) and `sign` =
MD5(param + salt), upper-case hex. `param.status` is polling / shutdown / abort /
updateall; `param.lastResult` carries `nu`, `com`, `state` (0 在途, 1 揽收, 2 疑难,
3 签收, 4 退签, 5 派件, 6 退回, 7 转投, 8/10-12 清关, 13 清关异常, 14 拒签) and
`data`, every checkpoint so far (`time` in China time, `context`, `status`,
`areaName`). The receiver must answer `{"result": true, "returnCode": "200",
"message": "成功"}`, else Kuaidi100 pushes again (30 minutes later, three times).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import Request, Response

from service.tracking.adapters import (
    BadPush,
    Checkpoint,
    Status,
    SubscribeError,
    Subscription,
    TrackingUpdate,
    aware,
    clean,
    content_key,
    loads,
    mapping,
)

CHINA = ZoneInfo("Asia/Shanghai")

STATES = {
    0: Status.in_transit,
    1: Status.info_received,
    2: Status.exception,
    3: Status.delivered,
    4: Status.returned,
    5: Status.out_for_delivery,
    6: Status.returned,
    7: Status.in_transit,
    8: Status.in_transit,
    10: Status.in_transit,
    11: Status.in_transit,
    12: Status.in_transit,
    13: Status.exception,
    14: Status.exception,
}

#: Our carrier codes (service.shipments) to Kuaidi100's company codes.
COMPANIES = {
    "sf_express": "shunfeng",
    "jd_logistics": "jd",
    "ems": "ems",
    "zto": "zhongtong",
    "yto": "yuantong",
    "sto": "shentong",
    "yunda": "yunda",
    "dhl": "dhl",
    "ups": "ups",
    "fedex": "fedex",
    "usps": "usps",
}


def sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode()).hexdigest().upper()


def state_of(value: Any) -> Status | None:
    """`lastResult.state`: the classic one- or two-digit codes, or the detailed
    three- and four-digit ones (resultv2=4: 301 is a kind of 3, 1401 of 14)."""
    try:
        code = int(str(value).strip())
    except ValueError:
        return None
    if code >= 100:
        code //= 100
    return STATES.get(code)


def _time(value: Any) -> datetime | None:
    text = clean(value, 40)
    if text is None:
        return None
    try:
        return aware(datetime.strptime(text, "%Y-%m-%d %H:%M:%S"), CHINA)
    except ValueError:
        return None


class Kuaidi100:
    name = "kuaidi100"

    def verify(self, secret: str, request: Request) -> bool:
        param, given = request.form.get("param"), request.form.get("sign")
        if not secret or param is None or given is None:
            return False
        return hmac.compare_digest(sign(param, secret), given.strip().upper())

    def parse(self, request: Request) -> TrackingUpdate:
        body = mapping(loads(request.form.get("param", "")), "param")
        result = mapping(body.get("lastResult"), "lastResult")
        number = clean(result.get("nu"), 64)
        if number is None:
            raise BadPush("lastResult.nu is missing.")
        overall = state_of(result.get("state"))
        data = result.get("data") or []
        if not isinstance(data, list):
            raise BadPush("lastResult.data is not a list.")
        checkpoints = [
            self._checkpoint(entry, overall) for entry in data if isinstance(entry, dict)
        ]
        push_status = clean(body.get("status"), 20)
        message = clean(body.get("message"), 500)
        if push_status == "abort":
            # Kuaidi100 gave up on the number: stored like a checkpoint, so a retried
            # push is known (and a flag the desk cleared stays cleared).
            checkpoints.append(
                Checkpoint(
                    dedupe_key=content_key("abort", message),
                    status=Status.expired,
                    provider_status="abort",
                    description=message or "abort",
                    location=None,
                    occurred_at=None,
                )
            )
        return TrackingUpdate(
            tracking_number=number,
            status=overall,
            provider_status=clean(result.get("state"), 64),
            checkpoints=checkpoints,
            aborted=push_status == "abort",
            message=message,
        )

    def _checkpoint(self, entry: dict[str, Any], overall: Status | None) -> Checkpoint:
        description = clean(entry.get("context"), 2000) or ""
        raw_time = clean(entry.get("time") or entry.get("ftime"), 40)
        # Each entry carries its own status word (在途, 派件, 签收...); the numeric state
        # is only given for the whole parcel.
        word = clean(entry.get("status"), 64)
        return Checkpoint(
            dedupe_key=content_key(raw_time, description),
            status=_WORDS.get(word or "", overall or Status.in_transit),
            provider_status=word,
            description=description,
            location=clean(entry.get("areaName") or entry.get("location"), 200),
            occurred_at=_time(raw_time),
        )

    def acknowledge(self) -> Response:
        return _answer(200, True, "200", "成功")

    def refuse(self, status: int, message: str) -> Response:
        return _answer(status, False, str(status), message)

    def subscribe(
        self, base_url: str, api_key: str, secret: str, subscription: Subscription, timeout: float
    ) -> None:
        company = COMPANIES.get(subscription.carrier_code or "")
        param = {
            "company": company or "",
            "number": subscription.tracking_number,
            "key": api_key,
            "parameters": {
                "callbackurl": subscription.callback_url,
                "salt": secret,
                "resultv2": "1",
                # Without a company we know, Kuaidi100 guesses it from the number.
                "autoCom": "0" if company else "1",
            },
        }
        try:
            response = requests.post(
                base_url.rstrip("/") + "/poll",
                data={"schema": "json", "param": json.dumps(param, ensure_ascii=False)},
                timeout=timeout,
                allow_redirects=False,
            )
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SubscribeError(f"Kuaidi100 unreachable or unreadable: {exc}") from exc
        code = str(answer.get("returnCode", "")) if isinstance(answer, dict) else ""
        if code in ("200", "501"):  # 501: already subscribed
            return
        message = answer.get("message", "") if isinstance(answer, dict) else ""
        # 700/701/702: a bad company or number; nothing a retry changes.
        raise SubscribeError(
            f"Kuaidi100 returnCode {code or response.status_code}: {message}"[:500],
            permanent=code in ("700", "701", "702"),
        )


_WORDS = {
    "揽收": Status.info_received,
    "在途": Status.in_transit,
    "派件": Status.out_for_delivery,
    "签收": Status.delivered,
    "退签": Status.returned,
    "退回": Status.returned,
    "疑难": Status.exception,
    "拒签": Status.exception,
}


def _answer(status: int, result: bool, code: str, message: str) -> Response:
    body = json.dumps(
        {"result": result, "returnCode": code, "message": message}, ensure_ascii=False
    )
    return Response(body, status=status, mimetype="application/json")
