"""The ``trustcenter`` command's entry point: the command line imported with the cyclic garbage
collector paused.

Importing the application creates some 300,000 objects and no garbage cycles worth collecting;
the collector would walk them a dozen times on the way (about an eighth of the start-up time,
docs/performance.md). It runs again before the command does.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    try:
        from trustcenter.cli import main as command
    finally:
        gc.enable()
    command()
