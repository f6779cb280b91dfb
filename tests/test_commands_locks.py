"""A name held by one run of commands waits for, or refuses, another run on the same engine."""

import time

import pytest

from worker.commands.locks import NameBusy, NameLocks


def test_a_held_name_makes_another_run_wait_until_its_deadline(tmp_path):
    first, second = NameLocks("engine-a", tmp_path), NameLocks("engine-a", tmp_path)
    first.hold("container:web", time.monotonic() + 1)
    began = time.monotonic()
    with pytest.raises(NameBusy, match="container:web stayed in use"):
        second.hold("container:web", time.monotonic() + 0.5)
    assert time.monotonic() - began >= 0.5
    second.hold("container:other", time.monotonic() + 0.5)  # other names are free
    first.close()
    second.hold("container:web", time.monotonic() + 0.5)  # free once the first run closed
    assert second.held == ("container:other", "container:web")
    second.close()


def test_names_on_another_engine_are_not_shared(tmp_path):
    one, other = NameLocks("engine-a", tmp_path), NameLocks("engine-b", tmp_path)
    one.hold("image:web:latest", time.monotonic())
    other.hold("image:web:latest", time.monotonic())  # no wait: a different engine
    one.close()
    other.close()
