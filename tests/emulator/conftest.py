"""The emulator's own tests: an emulator per module that nothing else in the run writes
to (tests that read its moving channels need them as the emulator made them; the run's
shared `emulator` gets entries and faults from other areas' tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import Emulator
from tests.support.servers import loopback


@pytest.fixture(scope="module")
def pristine() -> Iterator[Emulator]:
    """For the tests that only read; those that change something take `emu`."""
    with loopback(Emulator(), lambda emu: emu.url) as emulator:
        yield emulator
