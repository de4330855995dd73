"""Sans-IO PullPoint subscription messages (ONVIF Events service), both directions.

Client side: ``*_request`` builders and ``parse_*_response`` parsers. Server side (the simulator):
``parse_*_request`` and ``*_response`` builders. Round trips are property-tested. Parsers raise
only :class:`~adapters.onvif.soap.SoapError`.
"""
from __future__ import annotations

import dataclasses

from lxml import etree

from adapters.onvif.events import Notification, build_notification, parse_notification, topic_of
from adapters.onvif.soap import (
    NS, XS_INT_MAX, Envelope, SoapError, escape, format_datetime, format_duration, parse_datetime, parse_duration,
    parse_integer, text_of,
)

__all__ = [
    "ACTIONS", "Subscription", "PullResult", "addressing_header",
    "create_subscription_request", "pull_messages_request", "renew_request", "unsubscribe_request",
    "parse_create_subscription_response", "parse_pull_messages_response", "parse_renew_response",
    "create_subscription_response", "pull_messages_response", "renew_response", "unsubscribe_response",
    "parse_termination", "parse_pull_messages_request",
]

_TEV_ACTIONS = "http://www.onvif.org/ver10/events/wsdl"
_WSN_ACTIONS = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager"
ACTIONS = {
    "CreatePullPointSubscription": f"{_TEV_ACTIONS}/EventPortType/CreatePullPointSubscriptionRequest",
    "PullMessages": f"{_TEV_ACTIONS}/PullPointSubscription/PullMessagesRequest",
    "Renew": f"{_WSN_ACTIONS}/RenewRequest",
    "Unsubscribe": f"{_WSN_ACTIONS}/UnsubscribeRequest",
}
_MAX_MESSAGES = 1000


@dataclasses.dataclass(frozen=True)
class Subscription:
    address: str
    current_time: float  # camera clock
    termination_time: float  # camera clock


@dataclasses.dataclass(frozen=True)
class PullResult:
    current_time: float
    termination_time: float
    notifications: tuple[Notification, ...]
    #: (topic, error) of NotificationMessages that did not parse; the others are still delivered.
    rejected: tuple[tuple[str, str], ...] = ()


def addressing_header(operation: str, to: str) -> str:
    """WS-Addressing Action and To; some cameras route subscription calls by ``wsa:To``."""
    return f"<wsa:Action>{ACTIONS[operation]}</wsa:Action><wsa:To>{escape(to)}</wsa:To>"


# --- client requests ----------------------------------------------------------------------------
def create_subscription_request(initial_termination: float) -> str:
    return (
        "<tev:CreatePullPointSubscription><tev:InitialTerminationTime>"
        f"{format_duration(initial_termination)}</tev:InitialTerminationTime></tev:CreatePullPointSubscription>"
    )


def pull_messages_request(timeout: float, message_limit: int) -> str:
    return (
        f"<tev:PullMessages><tev:Timeout>{format_duration(timeout)}</tev:Timeout>"
        f"<tev:MessageLimit>{int(message_limit)}</tev:MessageLimit></tev:PullMessages>"
    )


def renew_request(termination: float) -> str:
    return f"<wsnt:Renew><wsnt:TerminationTime>{format_duration(termination)}</wsnt:TerminationTime></wsnt:Renew>"


def unsubscribe_request() -> str:
    return "<wsnt:Unsubscribe/>"


# --- client response parsers --------------------------------------------------------------------
def _expect(envelope: Envelope, tag: str) -> etree._Element:
    if envelope.body is None or envelope.body.tag != tag:
        got = None if envelope.body is None else envelope.body.tag
        raise SoapError(f"expected {tag}, got {got!r}")
    return envelope.body


def _required_time(element: etree._Element, path: str) -> float:
    text = text_of(element, path)
    if not text:
        raise SoapError(f"response lacks {path}")
    return parse_datetime(text)


def parse_create_subscription_response(envelope: Envelope) -> Subscription:
    body = _expect(envelope, f"{{{NS['tev']}}}CreatePullPointSubscriptionResponse")
    address = text_of(body, "tev:SubscriptionReference/wsa:Address")
    if not address.startswith(("http://", "https://")):
        raise SoapError(f"subscription address {address[:80]!r} is not an http(s) URL")
    return Subscription(
        address=address,
        current_time=_required_time(body, "wsnt:CurrentTime"),
        termination_time=_required_time(body, "wsnt:TerminationTime"),
    )


def parse_pull_messages_response(envelope: Envelope) -> PullResult:
    body = _expect(envelope, f"{{{NS['tev']}}}PullMessagesResponse")
    messages = body.findall("wsnt:NotificationMessage", NS)
    if len(messages) > _MAX_MESSAGES:
        raise SoapError(f"{len(messages)} notifications in one response (limit {_MAX_MESSAGES})")
    notifications, rejected = [], []
    for element in messages:
        try:
            notifications.append(parse_notification(element))
        except SoapError as exc:
            rejected.append((topic_of(element), str(exc)))
    return PullResult(
        current_time=_required_time(body, "tev:CurrentTime"),
        termination_time=_required_time(body, "tev:TerminationTime"),
        notifications=tuple(notifications),
        rejected=tuple(rejected),
    )


def parse_renew_response(envelope: Envelope) -> tuple[float, float | None]:
    """(new termination time, current time if the camera sent it), camera clock."""
    body = _expect(envelope, f"{{{NS['wsnt']}}}RenewResponse")
    current = text_of(body, "wsnt:CurrentTime")
    return _required_time(body, "wsnt:TerminationTime"), parse_datetime(current) if current else None


# --- server side (simulator) --------------------------------------------------------------------
def parse_termination(text: str, now: float) -> float:
    """An AbsoluteOrRelativeTimeType (``PT60S`` or a dateTime) as an absolute time."""
    text = text.strip()
    if text.startswith("P"):
        return now + parse_duration(text)
    return parse_datetime(text)


def parse_pull_messages_request(body: etree._Element) -> tuple[float, int]:
    """(timeout seconds, message limit) of a tev:PullMessages request."""
    timeout_text, limit_text = text_of(body, "tev:Timeout"), text_of(body, "tev:MessageLimit")
    if not timeout_text or not limit_text:
        raise SoapError("PullMessages needs Timeout and MessageLimit")
    limit = parse_integer(limit_text, "MessageLimit", minimum=1, maximum=XS_INT_MAX)
    return parse_duration(timeout_text), limit


def create_subscription_response(address: str, now: float, termination: float) -> str:
    return (
        f"<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>{escape(address)}"
        f"</wsa:Address></tev:SubscriptionReference><wsnt:CurrentTime>{format_datetime(now)}</wsnt:CurrentTime>"
        f"<wsnt:TerminationTime>{format_datetime(termination)}</wsnt:TerminationTime>"
        "</tev:CreatePullPointSubscriptionResponse>"
    )


def pull_messages_response(now: float, termination: float, notifications: list[Notification]) -> str:
    return (
        f"<tev:PullMessagesResponse><tev:CurrentTime>{format_datetime(now)}</tev:CurrentTime>"
        f"<tev:TerminationTime>{format_datetime(termination)}</tev:TerminationTime>"
        f"{''.join(build_notification(n) for n in notifications)}</tev:PullMessagesResponse>"
    )


def renew_response(now: float, termination: float) -> str:
    return (
        f"<wsnt:RenewResponse><wsnt:TerminationTime>{format_datetime(termination)}</wsnt:TerminationTime>"
        f"<wsnt:CurrentTime>{format_datetime(now)}</wsnt:CurrentTime></wsnt:RenewResponse>"
    )


def unsubscribe_response() -> str:
    return "<wsnt:UnsubscribeResponse/>"
