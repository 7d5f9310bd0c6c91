"""The suite's hypothesis profiles, chosen by ``TRUSTCENTER_HYPOTHESIS_PROFILE``:

- ``ci`` (the default where ``CI`` is set): every property and fuzz test runs the number of
  examples it states;
- ``dev`` (the default elsewhere): a quarter of them, for a quick run while working.

The tests state their example counts through :func:`examples`, which scales them by the
profile. ``pytest --hypothesis-profile=ci`` picks a profile too.
"""

from __future__ import annotations

import os

# hypothesis runs the "hypothesis" entry points of every installed distribution when imported:
# the one installed (trio's, for trio's own tests) imports trio, a quarter of a second of every
# suite process's start-up that no test here uses
os.environ.setdefault("HYPOTHESIS_NO_PLUGINS", "1")

from hypothesis import settings  # after the variable above

#: hypothesis's own default ``max_examples``: a profile's is read relative to it
BASE = 100
PROFILES = {"ci": BASE, "dev": BASE // 4}
ENV = "TRUSTCENTER_HYPOTHESIS_PROFILE"


def chosen() -> str:
    name = os.environ.get(ENV) or ("ci" if os.environ.get("CI") else "dev")
    if name not in PROFILES:
        raise ValueError(f"{ENV}={name!r}: the profiles are {', '.join(PROFILES)}")
    return name


def register() -> None:
    """Register both profiles and load the chosen one."""
    for name, count in PROFILES.items():
        settings.register_profile(name, max_examples=count, print_blob=name == "ci")
    settings.load_profile(chosen())


def examples(stated: int) -> int:
    """``stated`` examples under ``ci``, proportionally fewer under ``dev`` (at least one)."""
    return max(1, stated * settings.default.max_examples // BASE)
