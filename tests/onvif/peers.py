"""Independent ONVIF clients for the simulator tests: zeep transports that keep every raw answer."""
from __future__ import annotations

import zeep
from lxml import etree

from tests.onvif.onvif_schema import assert_valid_answer

__all__ = ["RecordingTransport", "topic_set_leaves"]


class RecordingTransport(zeep.Transport):
    """A zeep transport remembering (operation URL, HTTP status, body) of every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.session.trust_env = False  # loopback only, never a proxy from the environment
        self.answers: list[tuple[str, int, bytes]] = []

    def post(self, address, message, headers):
        response = super().post(address, message, headers)
        self.answers.append((address, response.status_code, response.content))
        return response

    def assert_all_valid(self) -> list[str]:
        """Validate every answer against the ONVIF schemas; the body element names, in order."""
        return [etree.QName(assert_valid_answer(body, status)).localname for _, status, body in self.answers]


def topic_set_leaves(elements) -> dict[str, tuple[str, str]]:
    """Topic (``tns1:A/B``) -> (source item name, data item name) of every ``wstop:topic`` leaf of a
    GetEventProperties TopicSet (given as its child elements)."""
    leaves: dict[str, tuple[str, str]] = {}
    tt = "{http://www.onvif.org/ver10/schema}"

    def walk(element, path):
        path = path + [etree.QName(element).localname]
        if element.get("{http://docs.oasis-open.org/wsn/t-1}topic") == "true":
            description = element.find(f"{tt}MessageDescription")
            source = description.find(f"{tt}Source/{tt}SimpleItemDescription").get("Name")
            data = description.find(f"{tt}Data/{tt}SimpleItemDescription").get("Name")
            leaves["tns1:" + "/".join(path)] = (source, data)
        for child in element:
            if isinstance(child.tag, str) and not child.tag.startswith(tt):
                walk(child, path)

    for element in elements:
        walk(element, [])
    return leaves
