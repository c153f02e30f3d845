"""The XML messages the platform pushes: follower messages, events, job results."""

from __future__ import annotations

from bot.emulator import SYSTEM_OPENID
from bot.emulator.publishing import MassSend, Publication
from bot.emulator.push import message_xml

RELAYED_EVENTS = frozenset({"subscribe", "unsubscribe", "CLICK", "SCAN", "VIEW"})
_TICKET = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRt"


def _base(account: str, sender: str, create_time: int, msg_type: str) -> dict[str, object]:
    return {"ToUserName": account, "FromUserName": sender, "CreateTime": create_time,
            "MsgType": msg_type}


def text_message(account: str, openid: str, content: str, create_time: int,
                 msg_id: int) -> str:
    return message_xml({**_base(account, openid, create_time, "text"), "Content": content,
                        "MsgId": msg_id})


def event_message(account: str, openid: str, event: str, key: str, create_time: int) -> str:
    """subscribe (a key means a parametric QR code: qrscene_ prefix), unsubscribe,
    CLICK, SCAN or VIEW."""
    fields = {**_base(account, openid, create_time, "event"), "Event": event}
    if event == "subscribe" and key:
        return message_xml({**fields, "EventKey": f"qrscene_{key}", "Ticket": _TICKET})
    if event == "SCAN":
        return message_xml({**fields, "EventKey": key, "Ticket": _TICKET})
    return message_xml({**fields, "EventKey": key})


def publish_finish(account: str, publication: Publication, create_time: int) -> str:
    info = publication.event_info(publication.ready_at)
    fields = {**_base(account, SYSTEM_OPENID, create_time, "event"),
              "Event": "PUBLISHJOBFINISH", "PublishEventInfo": info}
    return message_xml(fields)


def mass_send_finish(account: str, sent: MassSend, create_time: int) -> str:
    """MASSSENDJOBFINISH: every subscribed follower got the mass send."""
    fields = {**_base(account, SYSTEM_OPENID, create_time, "event"),
              "Event": "MASSSENDJOBFINISH", "MsgID": sent.msg_id, "Status": "send success",
              "TotalCount": sent.recipients, "FilterCount": sent.recipients,
              "SentCount": sent.recipients, "ErrorCount": 0}
    return message_xml(fields)


def template_send_finish(account: str, openid: str, msg_id: int, create_time: int) -> str:
    """TEMPLATESENDJOBFINISH: sent from the recipient's openid, as the platform does."""
    fields = {**_base(account, openid, create_time, "event"),
              "Event": "TEMPLATESENDJOBFINISH", "MsgID": msg_id, "Status": "success"}
    return message_xml(fields)
