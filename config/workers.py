"""Who is doing a piece of work ("host:pid"), and whether that worker is gone.

Leases (storydesk.ops.locks) and in-flight publications (publisher.recovery) both name their
holder this way, so a process that died on this host can be told apart from one that is
merely slow, or running elsewhere.
"""

from __future__ import annotations

import os
import socket


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def on_this_host(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    return host == socket.gethostname() and pid.isdigit()


def process_gone(holder: str) -> bool:
    """True only for a holder of this host whose process no longer exists."""
    if not on_this_host(holder):
        return False
    try:
        os.kill(int(holder.rpartition(":")[2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False
