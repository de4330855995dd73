"""A plugin whose import fails, like an adapter whose dependency is not installed."""
import campushub_no_such_dependency  # noqa: F401
