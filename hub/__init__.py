"""campus-hub: the hub's packages (the README names them); this package itself exports nothing."""

__all__: list[str] = []
