"""Every word the customer pages show, per locale, in one table.

One table rather than per-locale templates: the markup is written once, and a test can
check that both locales have every key. Values are ``str.format`` patterns; templates
call ``t(key, **values)`` and Jinja escapes the result, so values need no escaping here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from service.notifications.rendering import normalize_locale

DEFAULT_LOCALE: Final = "en"

STRINGS: Final[dict[str, dict[str, str]]] = {
    "en": {
        # -- layout
        "service_label": "After-sales service",
        "private_note": "This page is just for you; please don't share the link.",
        "help": "Questions? Reply to the last message we sent you, or contact "
        "{storefront} customer service and mention case {number}.",
        "help_no_case": "Questions? Reply to the last message we sent you, or contact "
        "customer service.",
        "view_status": "See the status of your case",
        # -- status page
        "status_title": "Your case {number}",
        "case_ref": "Case number: {number}",
        "current_status": "Current status",
        "items_heading": "Your items",
        "quantity": "Qty {quantity}",
        "serial_number": "Serial number {serial}",
        "timeline_heading": "What has happened so far",
        "conversation_heading": "Messages",
        "message_from_us": "{storefront}",
        "message_from_you": "You",
        "conversation_hint": "To write to us, reply to our last e-mail or SMS.",
        "timeline_shipping_instructions": "How to send it: {text}",
        "timeline_resolution": "Our answer: {text}",
        "timeline_reason": "Reason: {text}",
        "quote_pending_callout": "We need your decision on the repair quote before we can "
        "continue.",
        "review_quote": "Review the quote and decide",
        "parcel_heading": "Your parcel",
        "carrier": "Carrier",
        "tracking_number": "Tracking number",
        "track_parcel": "Track your parcel",
        # -- photos and documents
        "photos_heading": "Photos and documents",
        "photos_hint": "Add photos of the fault or damage, or your proof of purchase: "
        "they help us help you sooner.",
        "photo_label": "Photo or PDF",
        "photo_note_label": "What it shows (optional)",
        "photo_send": "Add to my case",
        "photo_added": "Thank you: it is now part of your case.",
        "photo_document": "Document: {name}",
        "photo_by_you": "From you",
        "photo_by_us": "From us",
        "photo_error_missing": "Choose a photo or PDF first.",
        "photo_error_empty": "That file is empty. Please choose another.",
        "photo_error_too_large": "That file is too large. Please send a smaller photo.",
        "photo_error_type": "We can only take photos (JPEG, PNG, WebP, HEIC) and PDF files.",
        "photo_error_pixels": "That picture is too large. Please send a smaller photo.",
        "photo_error_unreadable": "That picture could not be read. Please try another.",
        "photo_error_count": "This case already holds as many files as it can. Reply to our "
        "last message if you need to send more.",
        "photo_error_note": "The description has characters we cannot store, or is too long.",
        "photo_error_kind": "Please try again.",
        "parcel_status": "Status",
        "parcel_info_received": "The carrier has the details",
        "parcel_in_transit": "On its way",
        "parcel_out_for_delivery": "Out for delivery",
        "parcel_available_for_pickup": "Ready for pickup",
        "parcel_failed_attempt": "Delivery attempted",
        "parcel_delivered": "Delivered",
        "parcel_exception": "Held up; we are looking into it",
        "parcel_returned": "On its way back to us; we are looking into it",
        "parcel_expired": "No news from the carrier; we are looking into it",
        # -- the action of each timeline event, in customer words
        "event_open": "We received your request",
        "event_request_item": "We asked you to send us the item",
        "event_receive": "Your item arrived at our service centre",
        "event_diagnose": "A technician started inspecting your item",
        "event_send_quote": "We sent you a repair quote",
        "event_start_repair": "Repair started, covered by your warranty",
        "event_approve_quote": "The quote was approved; repair started",
        "event_decline_quote": "The quote was declined; we'll return your item unrepaired",
        "event_finish_repair": "Repair finished",
        "event_replace": "Your replacement is ready",
        "event_refund": "Your refund was issued",
        "event_ship": "Shipped back to you",
        "event_deliver": "Delivered",
        "event_tracking_update": "Parcel update from the carrier",
        "timeline_tracking": "{text}",
        "event_resolve": "Your request was resolved",
        "event_close": "Case closed",
        "event_cancel": "Case cancelled",
        "event_reopen": "Case reopened",
        # -- quotes
        "quote_heading": "Repair quote",
        "quote_revised": "Revised quote (no. {revision})",
        "quote_valid_until": "Valid until {when}",
        "quote_line_quantity": "{quantity} × {unit_price}",
        "free": "Free",
        "warranty_covered": "Covered by your warranty",
        # Shown to Chinese readers instead of the (English) stored waived_reason.
        "warranty_until": "In warranty until {date}: free of charge.",
        "subtotal": "Subtotal",
        "tax": "Tax ({rate})",
        "total": "Total",
        "quote_state_pending": "Awaiting your decision",
        "quote_state_approved": "Approved",
        "quote_state_declined": "Declined",
        "quote_state_superseded": "Replaced by a newer quote",
        "quote_state_expired": "Expired",
        "quote_note": "Note from our technician: {text}",
        "quote_title": "Your repair quote",
        "quote_intro": "We've inspected your item. Here is what the repair costs; nothing "
        "is repaired until you say yes.",
        "approve_hint": "By approving, you agree to pay {total} for this repair.",
        "approve_hint_free": "This repair costs you nothing.",
        "approve_button": "Approve and repair",
        "decline_summary": "I don't want this repair",
        "decline_explain": "We'll send your item back to you unrepaired.",
        "reason_label": "Would you tell us why? (optional)",
        "decline_button": "Decline the quote",
        "reason_too_long": "Please keep your reason under 2,000 characters.",
        "quote_decided_approved": "This quote was approved on {when}.",
        "quote_decided_declined": "This quote was declined on {when}.",
        "quote_expired_info": "This quote expired on {when}. Please contact us and we'll "
        "send you a new one.",
        "quote_closed_info": "This quote can no longer be decided online. Please contact us "
        "if you have questions.",
        "no_quote_title": "No quote yet",
        "no_quote_body": "There is no quote for your case yet. We'll message you as soon as "
        "there is one.",
        "approved_title": "Thank you! Your repair is approved",
        "approved_body": "We're repairing your item now and will let you know as soon as "
        "it's on its way back to you.",
        "declined_title": "Got it: we won't repair your item",
        "declined_body": "We'll send your item back unrepaired and message you the tracking "
        "number when it ships.",
        "superseded_title": "This quote has been replaced",
        "superseded_body": "We sent a newer quote after this page was opened, so this one "
        "can no longer be approved or declined. Nothing was changed. Please review the "
        "latest quote.",
        "review_latest_quote": "Review the latest quote",
        "quote_expired_title": "This quote has expired",
        "quote_expired_body": "The quote was valid until {when}, so nothing was changed. "
        "Please contact us and we'll send you a new one.",
        "already_decided_title": "This quote was already decided",
        "already_decided_approved": "It was approved on {when}, so nothing was changed.",
        "already_decided_declined": "It was declined on {when}, so nothing was changed.",
        "not_decidable_title": "This quote can't be decided right now",
        "not_decidable_body": "Your case has moved on since the quote was sent, so nothing "
        "was changed. Please check its status or contact us.",
        # -- survey
        "survey_title": "How did we do?",
        "survey_intro": "Your case {number} is complete. A minute of your time helps us "
        "serve you better.",
        "q_service_attitude": "How friendly and helpful was our service?",
        "q_product_quality": "How happy are you with the quality of the product now?",
        "q_price_reasonableness": "Was the price fair?",
        "q_overall_satisfaction": "Overall, how satisfied are you?",
        "scale_low": "1 = very poor",
        "scale_high": "5 = excellent",
        "comment_label": "Anything else you'd like to tell us? (optional)",
        "submit_survey": "Send my answers",
        "errors_summary": "Please check the questions marked below.",
        "error_rating": "Please choose a score from 1 to 5.",
        "error_comment": "Please keep your comment under 2,000 characters.",
        "survey_thanks_title": "Thank you for your answers!",
        "survey_thanks_body": "We read every one of them. Your case is now closed; if "
        "anything goes wrong again, just get in touch.",
        "survey_answered_title": "You've already answered this survey",
        "survey_answered_body": "Thank you, we have your answers. Each survey can be "
        "answered only once.",
        "survey_closed_title": "This survey has closed",
        "survey_closed_body": "The time for answering this survey is over. Thank you all the "
        "same; if there is anything you'd like to tell us, please contact us.",
        "survey_missing_title": "There's no survey here yet",
        "survey_missing_body": "Once your case is complete, we'll send you a short survey "
        "about it.",
        # -- pages that know no case
        "link_invalid_title": "This link doesn't work",
        "link_invalid_body": "It may be incomplete, or it has been replaced by a newer link. "
        "Please use the link in the most recent message we sent you.",
        "link_expired_title": "This link has expired",
        "link_expired_body": "For your privacy, our links stop working after a while. The most "
        "recent message we sent you has a fresh one.",
        "form_invalid_title": "We couldn't accept this form",
        "form_invalid_body": "Nothing was changed. Please open the page again from your link "
        "and try once more.",
        "busy_title": "We're a little busy",
        "busy_body": "Nothing was changed. Please try again in a minute.",
        "error_title": "Something went wrong",
        "error_body": "Nothing was changed. Please open the page again from your link.",
    },
    "zh-CN": {
        "service_label": "售后服务",
        "private_note": "此页面仅供您本人查看，请勿转发链接。",
        "help": "如有疑问，请回复我们最近发给您的消息，"
        "或联系{storefront}客服并提供服务单号 {number}。",
        "help_no_case": "如有疑问，请回复我们最近发给您的消息，或联系客服。",
        "view_status": "查看服务单进度",
        "status_title": "您的服务单 {number}",
        "case_ref": "服务单号：{number}",
        "current_status": "当前状态",
        "items_heading": "您的商品",
        "quantity": "数量 {quantity}",
        "serial_number": "序列号 {serial}",
        "timeline_heading": "处理进度",
        "conversation_heading": "留言",
        "message_from_us": "{storefront}",
        "message_from_you": "您",
        "conversation_hint": "如需留言，直接回复我们最近的邮件或短信即可。",
        "timeline_shipping_instructions": "寄送方式：{text}",
        "timeline_resolution": "处理结果：{text}",
        "timeline_reason": "原因：{text}",
        "quote_pending_callout": "维修报价需要您确认后，我们才能继续处理。",
        "review_quote": "查看报价并确认",
        "parcel_heading": "您的包裹",
        "carrier": "快递公司",
        "tracking_number": "运单号",
        "track_parcel": "查询物流",
        # -- photos and documents
        "photos_heading": "照片和文件",
        "photos_hint": "请上传故障或损坏部位的照片，或购买凭证：这能帮助我们更快为您处理。",
        "photo_label": "照片或 PDF",
        "photo_note_label": "照片说明（选填）",
        "photo_send": "添加到我的工单",
        "photo_added": "谢谢，文件已加入您的工单。",
        "photo_document": "文件：{name}",
        "photo_by_you": "您上传的",
        "photo_by_us": "我们上传的",
        "photo_error_missing": "请先选择一张照片或一个 PDF 文件。",
        "photo_error_empty": "该文件是空的，请选择其他文件。",
        "photo_error_too_large": "文件太大，请上传较小的照片。",
        "photo_error_type": "我们只接收照片（JPEG、PNG、WebP、HEIC）和 PDF 文件。",
        "photo_error_pixels": "图片尺寸太大，请上传较小的照片。",
        "photo_error_unreadable": "无法读取该图片，请换一张试试。",
        "photo_error_count": "此工单的文件数量已达上限。如需发送更多，请回复我们的最新消息。",
        "photo_error_note": "说明中含有无法保存的字符，或内容过长。",
        "photo_error_kind": "请重试。",
        "parcel_status": "物流状态",
        "parcel_info_received": "快递公司已收到寄件信息",
        "parcel_in_transit": "运输中",
        "parcel_out_for_delivery": "派送中",
        "parcel_available_for_pickup": "待取件",
        "parcel_failed_attempt": "派送未成功",
        "parcel_delivered": "已签收",
        "parcel_exception": "物流异常，我们正在处理",
        "parcel_returned": "包裹正在退回，我们正在处理",
        "parcel_expired": "暂无快递公司消息，我们正在处理",
        "event_open": "我们已受理您的申请",
        "event_request_item": "我们已请您寄回商品",
        "event_receive": "您的商品已送达服务中心",
        "event_diagnose": "技术人员开始检测您的商品",
        "event_send_quote": "我们向您发送了维修报价",
        "event_start_repair": "保修范围内，已开始维修",
        "event_approve_quote": "报价已确认，开始维修",
        "event_decline_quote": "报价已拒绝，商品将原样寄回",
        "event_finish_repair": "维修完成",
        "event_replace": "换货商品已备好",
        "event_refund": "退款已办理",
        "event_ship": "已寄回给您",
        "event_deliver": "已签收",
        "event_tracking_update": "快递物流更新",
        "timeline_tracking": "{text}",
        "event_resolve": "您的问题已解决",
        "event_close": "服务单已结案",
        "event_cancel": "服务单已取消",
        "event_reopen": "服务单已重新受理",
        "quote_heading": "维修报价",
        "quote_revised": "更新后的报价（第 {revision} 版）",
        "quote_valid_until": "有效期至 {when}",
        "quote_line_quantity": "{quantity} × {unit_price}",
        "free": "免费",
        "warranty_covered": "保修范围内",
        "warranty_until": "保修期至 {date}，免费。",
        "subtotal": "小计",
        "tax": "税费（{rate}）",
        "total": "合计",
        "quote_state_pending": "等待您确认",
        "quote_state_approved": "已同意",
        "quote_state_declined": "已拒绝",
        "quote_state_superseded": "已被新报价取代",
        "quote_state_expired": "已过期",
        "quote_note": "技术人员备注：{text}",
        "quote_title": "您的维修报价",
        "quote_intro": "我们已完成对您商品的检测，以下是维修费用。"
        "在您确认之前，我们不会进行任何维修。",
        "approve_hint": "确认后，即表示您同意为本次维修支付 {total}。",
        "approve_hint_free": "本次维修无需您支付任何费用。",
        "approve_button": "同意报价并维修",
        "decline_summary": "我不需要维修",
        "decline_explain": "我们会将商品原样寄回给您。",
        "reason_label": "能告诉我们原因吗？（选填）",
        "decline_button": "拒绝报价",
        "reason_too_long": "原因请控制在 2000 字以内。",
        "quote_decided_approved": "此报价已于 {when}确认。",
        "quote_decided_declined": "此报价已于 {when}被拒绝。",
        "quote_expired_info": "此报价已于 {when}过期。请联系我们，我们会为您重新报价。",
        "quote_closed_info": "此报价已无法在线处理。如有疑问，请联系我们。",
        "no_quote_title": "暂无报价",
        "no_quote_body": "您的服务单暂时还没有报价。报价生成后，我们会第一时间通知您。",
        "approved_title": "谢谢！您已同意维修",
        "approved_body": "我们正在维修您的商品，寄回时会第一时间通知您。",
        "declined_title": "好的，我们不会维修您的商品",
        "declined_body": "我们会将商品原样寄回，寄出后会把运单号发给您。",
        "superseded_title": "此报价已更新",
        "superseded_body": "在您打开此页面之后，我们发送了新的报价，因此这份报价已无法确认或拒绝，"
        "您的服务单没有任何改动。请查看最新报价。",
        "review_latest_quote": "查看最新报价",
        "quote_expired_title": "此报价已过期",
        "quote_expired_body": "此报价的有效期至 {when}，"
        "您的服务单没有任何改动。请联系我们，我们会为您重新报价。",
        "already_decided_title": "此报价已处理",
        "already_decided_approved": "此报价已于 {when}确认，本次操作没有任何改动。",
        "already_decided_declined": "此报价已于 {when}被拒绝，本次操作没有任何改动。",
        "not_decidable_title": "此报价暂时无法处理",
        "not_decidable_body": "报价发出后，您的服务单已有新的进展，本次操作没有任何改动。"
        "请查看服务单进度或联系我们。",
        "survey_title": "请为我们的服务评分",
        "survey_intro": "您的服务单 {number} 已处理完毕。"
        "花一分钟告诉我们您的感受，帮助我们做得更好。",
        "q_service_attitude": "您对我们的服务态度满意吗？",
        "q_product_quality": "您对商品现在的质量满意吗？",
        "q_price_reasonableness": "您觉得收费合理吗？",
        "q_overall_satisfaction": "总体而言，您对本次售后服务满意吗？",
        "scale_low": "1 = 很不满意",
        "scale_high": "5 = 非常满意",
        "comment_label": "还有什么想告诉我们的吗？（选填）",
        "submit_survey": "提交评价",
        "errors_summary": "请检查下方标出的问题。",
        "error_rating": "请选择 1 到 5 分。",
        "error_comment": "留言请控制在 2000 字以内。",
        "survey_thanks_title": "感谢您的评价！",
        "survey_thanks_body": "我们会认真阅读每一条评价。您的服务单现已结案；"
        "如再遇到问题，欢迎随时联系我们。",
        "survey_answered_title": "您已完成此问卷",
        "survey_answered_body": "谢谢！我们已收到您的评价。每份问卷只能提交一次。",
        "survey_closed_title": "此问卷已关闭",
        "survey_closed_body": "此问卷的填写时间已过。仍然感谢您；"
        "如有任何想告诉我们的，欢迎联系我们。",
        "survey_missing_title": "暂无问卷",
        "survey_missing_body": "服务单处理完毕后，我们会给您发送一份简短的问卷。",
        "link_invalid_title": "此链接无效",
        "link_invalid_body": "链接可能不完整，或已被新链接取代。"
        "请使用我们最近发给您的消息中的链接。",
        "link_expired_title": "此链接已过期",
        "link_expired_body": "为保护您的隐私，链接会在一段时间后失效。"
        "请使用我们最近发给您的消息中的新链接。",
        "form_invalid_title": "无法提交此表单",
        "form_invalid_body": "没有任何改动。请通过链接重新打开页面后再试一次。",
        "busy_title": "系统繁忙",
        "busy_body": "没有任何改动。请稍后再试。",
        "error_title": "请求无法完成",
        "error_body": "没有任何改动。请通过链接重新打开页面。",
    },
}


def page_locale(locale: str | None) -> str:
    """One of our locales for a stored customer locale, English when it is unknown."""
    try:
        return normalize_locale(locale or DEFAULT_LOCALE)
    except ValueError:
        return DEFAULT_LOCALE


def translator(locale: str) -> Callable[..., str]:
    """``t(key, **values)`` in `locale`."""
    table = STRINGS[locale]

    def t(key: str, **values: object) -> str:
        return table[key].format(**values) if values else table[key]

    return t
