"""How every `storydesk` command sets Python's cycle collector, start to end.

Starting a command (SQLAlchemy, the models, click, the campaign's schema, the clients) makes
some 800k objects that live as long as the process. At Python's default the collector looks
for reference cycles every 700 new objects and walks every young one each time; even every
50,000 it ran 17 times while `show` started, 23 ms of a 400 ms command (bench/queue_show.py).
So the first look waits until a million objects are alive, which a short command never
reaches; after it, every 50,000 as before, so that a long command (a harvest, an import, the
daemon) frees garbage in cycles as it goes. Only garbage in a cycle waits: everything else
is freed the moment it is no longer used, whatever the collector does.
"""

from __future__ import annotations

import gc
from typing import Any

STARTING = 1_000_000  # new objects before the first look
RUNNING = 50_000  # and between the looks after it


def start() -> None:
    """Set the collector for a command that is starting."""
    gc.set_threshold(STARTING)
    gc.callbacks.append(_after_first_look)


def _after_first_look(phase: str, info: dict[str, Any]) -> None:
    # left in the list, a no-op, once done: removing a callback while the collector runs
    # its callbacks could skip the next one
    if phase == "stop" and gc.get_threshold()[0] == STARTING:
        gc.set_threshold(RUNNING)


def end() -> None:
    """On the way out Python takes apart every module, class and function the command
    loaded, each a reference cycle, with the collector: 0.3 s of CPU after `harvest
    --platform x` had finished (bench/x_harvest.py), to free memory the OS takes back at
    once anyway. Frozen, the collector leaves them; everything else ends as before (atexit
    handlers, objects outside cycles released, the standard streams flushed)."""
    gc.freeze()
