"""Event service answers (``tev``): service capabilities and the topic set (GetEventProperties)."""
from __future__ import annotations

from collections.abc import Iterable

from adapters.onvif.events import TOPIC_DIALECT
from adapters.onvif.soap import escape, quoteattr
from simulators.camera.event_kinds import EventKind

_WSTOP = "http://docs.oasis-open.org/wsn/t-1"
_XS = "http://www.w3.org/2001/XMLSchema"
_TOPIC_DIALECTS = (TOPIC_DIALECT, "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete")
_CONTENT_FILTER_DIALECT = "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"


def service_capabilities() -> str:
    """The ``tev:Capabilities`` element (GetServiceCapabilities, GetServices): PullPoint only."""
    return (
        '<tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true" '
        'WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0" '
        'PersistentNotificationStorage="false"/>'
    )


def _description(kind: EventKind) -> str:
    return (
        '<tt:MessageDescription IsProperty="true">'
        f"<tt:Source><tt:SimpleItemDescription Name={quoteattr(kind.source_name)} Type={quoteattr(kind.source_type)}/>"
        f"</tt:Source><tt:Data><tt:SimpleItemDescription Name={quoteattr(kind.data_name)} "
        f"Type={quoteattr(kind.data_type)}/></tt:Data></tt:MessageDescription>"
    )


def _topic_tree(kinds: Iterable[EventKind]) -> dict:
    """Nested dict of topic path parts; a leaf holds its EventKind under the key None."""
    tree: dict = {}
    for kind in kinds:
        node = tree
        for part in kind.topic.removeprefix("tns1:").split("/"):
            node = node.setdefault(part, {})
        node[None] = kind
    return tree


def _render(tree: dict, *, root: bool) -> str:
    out = []
    for name, child in tree.items():
        if name is None:
            continue
        # The first level is in the ONVIF topic namespace; the levels below are unqualified names.
        tag = f"tns1:{name}" if root else name
        leaf = child.get(None)
        marker = ' wstop:topic="true"' if leaf is not None else ""
        inner = (_description(leaf) if leaf is not None else "") + _render(child, root=False)
        out.append(f"<{tag}{marker}>{inner}</{tag}>")
    return "".join(out)


def event_properties(kinds: Iterable[EventKind]) -> str:
    dialects = "".join(f"<wsnt:TopicExpressionDialect>{escape(d)}</wsnt:TopicExpressionDialect>" for d in _TOPIC_DIALECTS)
    return (
        f'<tev:GetEventPropertiesResponse xmlns:wstop="{_WSTOP}" xmlns:xs="{_XS}">'
        "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>"
        f"<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet>{_render(_topic_tree(kinds), root=True)}"
        f"</wstop:TopicSet>{dialects}"
        f"<tev:MessageContentFilterDialect>{_CONTENT_FILTER_DIALECT}</tev:MessageContentFilterDialect>"
        "<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd"
        "</tev:MessageContentSchemaLocation></tev:GetEventPropertiesResponse>"
    )
