"""The hub's YAML configuration (``hub.yaml``).

>>> config = hub.config.load("hub.yaml")          # raises ConfigError listing every problem
>>> config.journal.max_age                        # durations are float seconds, sizes int bytes
>>> config.device_specs()                         # DeviceSpec list for the adapters
>>> config.adapter_options("sia-main")            # the adapter type's validated Options

See docs/integrator-guide.md for the file format.
"""
from hub.config.hub_identity import hub_id_from
from hub.config.loader import collect_problems, load, load_text
from hub.config.model import HubConfig
from hub.config.problems import ConfigError, Problem

__all__ = ["ConfigError", "HubConfig", "Problem", "collect_problems", "hub_id_from", "load", "load_text"]
