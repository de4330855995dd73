"""SOAP bodies the camera simulator answers, one module per ONVIF service.

Each builder returns a body fragment with the :data:`adapters.onvif.soap.NS` prefixes; the shapes
follow the ONVIF schemas shipped with onvif-zeep (the suite validates every answer against them).
"""
