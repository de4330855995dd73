"""The synthetic adapter: made-up events at a configurable rate, no device protocol."""
from adapters.synthetic.adapter import SyntheticAdapter

__all__ = ["SyntheticAdapter"]
