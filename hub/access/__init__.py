"""Who may call the hub and what they see: bearer tokens (stored as sha256 only), subscribers and
their scopes (region prefixes, schools, categories), the selection of events a filter makes
within a scope, and the roles that say what a subscriber may do to alarms."""
from hub.access._auth import Authenticator, Subscriber
from hub.access._roles import ALARM_ACTIONS, ROLES, least_role, may
from hub.access._scope import MAX_FILTER_ITEMS, FilterError, Scope, ScopeError, Selection, select, shown
from hub.access._tokens import hash_token, new_token, run_hash_token, token_matches

__all__ = ["ALARM_ACTIONS", "MAX_FILTER_ITEMS", "ROLES", "Authenticator", "FilterError", "Scope", "ScopeError",
           "Selection", "Subscriber", "least_role", "may",
           "hash_token", "new_token", "run_hash_token", "select", "shown", "token_matches"]
