"""Serving freezes what start-up made and collects the young generation less often."""

from __future__ import annotations

import gc

from trustcenter.web.gc_tuning import OLDER, YOUNG, tune_for_serving


def test_start_up_objects_are_frozen_and_young_collections_are_rarer():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count() > 0  # the suite tunes its workers so (tests/conftest.py)
    gc.unfreeze()  # as in a process that has not been tuned
    gc.set_threshold(700, 10, 10)  # the interpreter's default (another test may have tuned it)
    try:
        made_at_start_up = [[n] for n in range(1000)]  # tracked containers
        tune_for_serving()
        assert gc.get_freeze_count() >= len(made_at_start_up)
        assert gc.get_threshold() == (YOUNG, OLDER, OLDER)
        assert YOUNG > 700  # young collections rarer than by default
        # a cycle made while serving is still collected
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        if frozen:
            gc.freeze()
