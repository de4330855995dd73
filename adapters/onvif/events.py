"""Sans-IO codec of ONVIF event notifications (``wsnt:NotificationMessage`` with ``tt:Message``).

:func:`parse_notification` turns one NotificationMessage element into a :class:`Notification`;
:func:`build_notification` is its inverse (the simulator sends what the adapter parses). Parsing
raises only :class:`~adapters.onvif.soap.SoapError`.
"""
from __future__ import annotations

import dataclasses
from typing import Literal

from lxml import etree

from adapters.onvif.soap import NS, SoapError, escape, format_datetime, parse_datetime, quoteattr, text_of

__all__ = ["Notification", "PropertyOperation", "parse_notification", "build_notification", "TOPIC_DIALECT"]

PropertyOperation = Literal["Initialized", "Changed", "Deleted", ""]
_OPERATIONS = ("Initialized", "Changed", "Deleted")

TOPIC_DIALECT = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
_ONVIF_TOPICS = NS["tns1"]
_MAX_ITEMS = 32
_MAX_TEXT = 256


@dataclasses.dataclass(frozen=True)
class Notification:
    """One camera event: ``topic`` with the ONVIF topic namespace written as ``tns1:``."""

    topic: str
    utc_time: float  # camera clock, epoch seconds
    operation: PropertyOperation
    source: tuple[tuple[str, str], ...] = ()
    data: tuple[tuple[str, str], ...] = ()
    #: The NotificationMessage as received, for forensics (empty when built locally).
    raw: bytes = dataclasses.field(default=b"", compare=False, repr=False)

    def data_value(self, name: str) -> str | None:
        return next((value for key, value in self.data if key == name), None)

    @property
    def source_key(self) -> str:
        """Stable identity of the source (``VideoSourceToken=vs1``) for state tracking."""
        return ",".join(f"{key}={value}" for key, value in self.source)


def _normalize_topic(element: etree._Element) -> str:
    text = " ".join((element.text or "").split())
    if not text:
        raise SoapError("notification without a topic")
    if len(text) > _MAX_TEXT:
        raise SoapError("topic too long")
    prefix, sep, rest = text.partition(":")
    if sep and "/" not in prefix and element.nsmap.get(prefix) == _ONVIF_TOPICS:
        return f"tns1:{rest}"
    return text


def _items(element: etree._Element | None, what: str) -> tuple[tuple[str, str], ...]:
    if element is None:
        return ()
    items = []
    for item in element.findall("tt:SimpleItem", NS):
        name, value = item.get("Name"), item.get("Value")
        if name is None or value is None:
            raise SoapError(f"{what} SimpleItem without Name or Value")
        items.append((name[:_MAX_TEXT], value[:_MAX_TEXT]))
        if len(items) > _MAX_ITEMS:
            raise SoapError(f"too many {what} items")
    return tuple(items)


def parse_notification(element: etree._Element) -> Notification:
    """Parse a ``wsnt:NotificationMessage`` element."""
    if element.tag != f"{{{NS['wsnt']}}}NotificationMessage":
        raise SoapError(f"expected wsnt:NotificationMessage, got {element.tag!r}")
    topic_element = element.find("wsnt:Topic", NS)
    if topic_element is None:
        raise SoapError("notification without a topic")
    message = element.find("wsnt:Message/tt:Message", NS)
    if message is None:
        raise SoapError("notification without a tt:Message")
    operation = message.get("PropertyOperation", "")
    if operation not in _OPERATIONS and operation != "":
        raise SoapError(f"unknown PropertyOperation {operation[:40]!r}")
    return Notification(
        topic=_normalize_topic(topic_element),
        utc_time=parse_datetime(message.get("UtcTime", "")),
        operation=operation,  # type: ignore[arg-type]
        source=_items(message.find("tt:Source", NS), "Source"),
        data=_items(message.find("tt:Data", NS), "Data"),
        raw=etree.tostring(element),
    )


def _item_list(tag: str, items: tuple[tuple[str, str], ...]) -> str:
    if not items:
        return ""
    inner = "".join(f"<tt:SimpleItem Name={quoteattr(k)} Value={quoteattr(v)}/>" for k, v in items)
    return f"<tt:{tag}>{inner}</tt:{tag}>"


def build_notification(notification: Notification) -> str:
    """The ``wsnt:NotificationMessage`` fragment for ``notification`` (prefixes as in :data:`NS`)."""
    operation = f" PropertyOperation={quoteattr(notification.operation)}" if notification.operation else ""
    return (
        f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{TOPIC_DIALECT}">{escape(notification.topic)}</wsnt:Topic>'
        f'<wsnt:Message><tt:Message UtcTime="{format_datetime(notification.utc_time, millis=True)}"{operation}>'
        f"{_item_list('Source', notification.source)}{_item_list('Data', notification.data)}"
        f"</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    )


def topic_of(element: etree._Element) -> str:
    """Topic text of a NotificationMessage, for logging a message that failed to parse."""
    return text_of(element, "wsnt:Topic")[:_MAX_TEXT]
