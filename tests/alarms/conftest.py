from __future__ import annotations

import pytest

from hub.alarms import AlarmClass, EscalationStep
from hub.events import Category, Severity
from tests.kernel.conftest import running_hub, settings

CLASSES = (
    AlarmClass(name="panic", priority=1, categories=frozenset({Category.CATEGORY_PANIC}), latch=True,
               procedure="call the duty desk", escalation=(EscalationStep(60, "county"),)),
    AlarmClass(name="fire", priority=1, categories=frozenset({Category.CATEGORY_FIRE}),
               min_severity=Severity.SEVERITY_MAJOR, max_shelve=600,
               supervisor_max_shelve=3600),
)


def alarm_settings(tmp_path, **overrides):
    return settings(tmp_path, **{"alarm_classes": CLASSES, **overrides})


@pytest.fixture
async def alarm_hub(tmp_path):
    async with running_hub(alarm_settings(tmp_path)) as instance:
        yield instance
