"""What the projections that decide changes (the alarm table, the hazard ledger) share.

- :class:`DecidedTable`: a projection's items as decided and as journaled, the journal position
  the latter reflects, and the one way a change is submitted and a command answered;
  :class:`DecidesChanges` gives such a projection's readers its ``table`` and ``position``.
- :func:`attribute_text` and :func:`attribute_value`: an item's fields as a change event's
  attributes (text) and back, so a table is rebuilt from its change events alone.
"""
from hub.projection._attributes import attribute_text, attribute_value
from hub.projection._decided import DecidedTable, DecidesChanges

__all__ = ["DecidedTable", "DecidesChanges", "attribute_text", "attribute_value"]
