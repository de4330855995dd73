"""Rule conditions in CEL, type-checked against the ``campushub.v1`` descriptors when loaded.

The library is ``cel-expr-python`` (Google's C++ CEL). Measured here (bench/bench_linkage.py
``cel`` figures, one shared 2-core machine): compiling a condition ~3 ms, evaluating one against an
Event ~10 us; the pure-Python ``cel-python`` took ~850 us per evaluation (with the conversion of
the message it needs) and accepted a misspelt field until run time; ``common-expression-language``
(cel-rust) ~24-37 us and no field checking either. A condition sees ``event`` (campushub.v1.Event)
and must be a bool; a misspelt field, a wrong type or a non-bool result is a :class:`CelError`.
"""
from __future__ import annotations

from cel_expr_python import cel

from campushub.v1 import event_pb2  # noqa: F401  (puts campushub.v1.Event in the default descriptor pool)

__all__ = ["CelError", "Condition", "compile_condition"]

_env = None


def _environment():
    global _env
    if _env is None:
        _env = cel.NewEnv(variables={"event": cel.Type("campushub.v1.Event")})
    return _env


class CelError(ValueError):
    """A condition that does not compile or type-check; ``str()`` says where and why."""


class Condition:
    """A compiled condition; call it with an Event."""

    __slots__ = ("text", "_expression")

    def __init__(self, text: str, expression) -> None:
        self.text = text
        self._expression = expression

    def __call__(self, event) -> bool:
        """True when the condition holds; an evaluation error (a missing map key) is False."""
        try:
            return self._expression.eval(data={"event": event}).value() is True
        except Exception:  # (an error value is not True either)
            return False

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"


def compile_condition(text: str) -> Condition:
    try:
        expression = _environment().compile(text)
    except Exception as exc:  # the library raises RuntimeError / ValueError with the checker's text
        message = str(exc).replace("INVALID_ARGUMENT: ", "").replace("ERROR: <input>:", "at ")
        raise CelError(" ".join(message.split())[:400]) from None
    if expression.return_type() != cel.Type.BOOL:
        raise CelError(f"the condition is a {expression.return_type().name().lower()}, not a bool")
    return Condition(text, expression)
