"""Validation of ONVIF answers against the XSDs shipped with onvif-zeep (not our own idea of them).

The device, media, events and PTZ WSDLs embed their message schemas; :func:`onvif_schema` lifts
them out (keeping the WSDL's namespace declarations, which their QNames need) next to imports of
onvif.xsd and the WS-* schemas, and compiles them with libxml2. :func:`assert_valid_answer` checks
one HTTP answer: a SOAP 1.2 envelope whose body is a schema-valid response or a SOAP 1.2 fault.
"""
from __future__ import annotations

import copy
import functools
import os
import tempfile

from lxml import etree

from adapters.onvif.client import WSDL_DIR
from adapters.onvif.soap import NS

__all__ = ["onvif_schema", "assert_valid_answer"]

_XS = "http://www.w3.org/2001/XMLSchema"
_WSDLS = ("devicemgmt.wsdl", "media.wsdl", "events.wsdl", "ptz.wsdl")
_ENV = NS["env"]


def _lift_schemas(wsdl: str, folder: str) -> list[tuple[str, str]]:
    document = etree.parse(os.path.join(WSDL_DIR, wsdl))
    lifted = []
    for index, schema in enumerate(document.iter(f"{{{_XS}}}schema")):
        standalone = etree.Element(schema.tag, dict(schema.attrib), nsmap={**document.getroot().nsmap, **schema.nsmap})
        for child in schema:
            standalone.append(copy.deepcopy(child))
        for imported in standalone.iter(f"{{{_XS}}}import"):
            location = imported.get("schemaLocation")
            if location:
                imported.set("schemaLocation", "file://" + os.path.abspath(os.path.join(WSDL_DIR, location)))
        path = os.path.join(folder, f"{wsdl}.{index}.xsd")
        etree.ElementTree(standalone).write(path)
        lifted.append((standalone.get("targetNamespace"), path))
    return lifted


@functools.cache
def onvif_schema() -> etree.XMLSchema:
    with tempfile.TemporaryDirectory() as folder:
        imports = [item for wsdl in _WSDLS for item in _lift_schemas(wsdl, folder)]
        master = os.path.join(folder, "all.xsd")
        with open(master, "w", encoding="utf-8") as handle:
            handle.write(f'<xs:schema xmlns:xs="{_XS}">' + "".join(
                f'<xs:import namespace="{ns}" schemaLocation="file://{path}"/>' for ns, path in imports) + "</xs:schema>")
        return etree.XMLSchema(etree.parse(master))


def _assert_fault(fault: etree._Element) -> None:
    """SOAP 1.2 fault shape (the W3C envelope schema is not shipped): Code/Value, Subcodes, Reason/Text."""
    assert [child.tag for child in fault][:2] == [f"{{{_ENV}}}Code", f"{{{_ENV}}}Reason"], etree.tostring(fault)
    value = fault.findtext(f"{{{_ENV}}}Code/{{{_ENV}}}Value")
    assert value in ("env:Sender", "env:Receiver"), value
    texts = fault.findall(f"{{{_ENV}}}Reason/{{{_ENV}}}Text")
    assert texts and all(t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in texts)


def assert_valid_answer(payload: bytes, status: int) -> etree._Element:
    """The body element of ``payload`` after checking it (200 for an answer, 400/500 for a fault)."""
    root = etree.fromstring(payload)
    assert root.tag == f"{{{_ENV}}}Envelope", root.tag
    body = root.find(f"{{{_ENV}}}Body")
    element = next(child for child in body if isinstance(child.tag, str))
    if element.tag == f"{{{_ENV}}}Fault":
        _assert_fault(element)
        code = element.findtext(f"{{{_ENV}}}Code/{{{_ENV}}}Value")
        assert status == (400 if code == "env:Sender" else 500), (status, code)
        return element
    assert status == 200, status
    schema = onvif_schema()
    assert schema.validate(element), f"{etree.QName(element).localname}: {schema.error_log}"
    return element
