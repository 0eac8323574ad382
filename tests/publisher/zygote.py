"""A warm publisher factory for the kill -9 test: imports the app once, then forks one
`storydesk publish` process per line read on stdin, prints its pid, and prints how it
ended. Starting Python and importing the clients takes about a second of CPU; forking
takes milliseconds, so many kill trials fit in a short test.

Run as `python -m tests.publisher.zygote ARGS...` with the CLI's environment.
"""

from __future__ import annotations

import os
import sys


def main(args: list[str]) -> None:
    from config.clock import SystemClock

    # The reel/TikTok upload polls wait 5 s for the real platforms; the sandbox is done by
    # the second poll (see conftest.py).
    SystemClock.sleep = lambda self, seconds: None  # type: ignore[method-assign]
    import googleapiclient.discovery  # noqa: F401 - loaded once, before the forks
    import jinja2  # noqa: F401
    import tweepy  # noqa: F401

    import platforms.registry  # noqa: F401
    import publisher.gallery  # noqa: F401
    import publisher.graph  # noqa: F401
    import publisher.instagram  # noqa: F401
    import publisher.linkedin  # noqa: F401
    import publisher.outbox  # noqa: F401
    import publisher.tiktok  # noqa: F401
    import publisher.x  # noqa: F401
    import publisher.youtube  # noqa: F401
    from storydesk.cli import run

    print("ready", flush=True)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os._exit(run(args))
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9
        print("killed" if killed else f"exit {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
