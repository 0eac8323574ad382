"""Headless Chromium driven over the DevTools protocol, as a person would use a page: load
it, press keys, read what is on screen. No driver to install: Chromium speaks the protocol
on two pipes (--remote-debugging-pipe: it reads fd 3 and writes fd 4, one JSON message
per NUL-terminated chunk). Every wait is bounded; nothing is fetched beyond 127.0.0.1
(--host-resolver-rules sends every other host nowhere).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

WAIT = 30.0  # seconds any single step may take before the test fails

# Keys as DevTools wants them: key, code and the Windows key code Chromium's forms rely on
SPECIAL = {
    "Enter": {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"},
    "Escape": {"key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27},
    "Tab": {"key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9},
}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "headless Chromium not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the browser check must run)")
        pytest.skip(message)
    return found


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, profile: Path, width: int = 1400, height: int = 1000) -> None:
        to_chrome = os.pipe()
        from_chrome = os.pipe()

        def wire() -> None:  # in the child, before exec: the pipes become fds 3 and 4
            # copies first: a pipe may itself be fd 3 or 4, and must survive exec
            reads, writes = os.dup(to_chrome[0]), os.dup(from_chrome[1])
            os.dup2(reads, 3)
            os.dup2(writes, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen(  # noqa: PLW1509 - preexec_fn: only dup2 in the child
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "about:blank",
            ],
            preexec_fn=wire,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome[0])
        os.close(from_chrome[1])
        self._out = to_chrome[1]
        self._in = from_chrome[0]
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    # -- the protocol ----------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise BrowserError("Chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: bool = False
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + WAIT
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method: str, since: int = 0) -> dict[str, Any]:
        """The first event `method` at or after index `since` of self.events."""
        deadline = time.monotonic() + WAIT
        while True:
            for event in self.events[since:]:
                if event["method"] == method:
                    return event
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)

    # -- what a person does ----------------------------------------------------------------
    def open(self, url: str) -> int:
        """Load `url` (following redirects); the status of the page that was shown."""
        mark = len(self.events)
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired", mark)
        return self.status(mark)

    def status(self, since: int) -> int:
        """The HTTP status of the last document loaded since event `since`."""
        documents = [
            e["params"]["response"]["status"]
            for e in self.events[since:]
            if e["method"] == "Network.responseReceived" and e["params"].get("type") == "Document"
        ]
        if not documents:
            raise BrowserError("no document was loaded")
        return int(documents[-1])

    def press(self, key: str) -> None:
        if key in SPECIAL:
            spec = SPECIAL[key]
        else:
            spec = {"key": key, "text": key}
            if len(key) == 1 and key.isalpha():
                spec["code"] = f"Key{key.upper()}"
                spec["windowsVirtualKeyCode"] = ord(key.upper())
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **spec}, session=True)
        up = {k: v for k, v in spec.items() if k != "text"}
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **up}, session=True)

    def type(self, text: str) -> None:
        for char in text:
            self.press(char)

    def press_and_load(self, *keys: str) -> int:
        """Press keys that end in a page load (a form sent, a link followed); its status."""
        mark = len(self.events)
        for key in keys:
            self.press(key)
        self.wait_for("Page.loadEventFired", mark)
        return self.status(mark)

    def js(self, expression: str, wait: bool = False) -> Any:
        """The expression's value; `wait`: the value its promise settles to."""
        answer = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": wait},
            session=True,
        )
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def text(self, selector: str) -> str | None:
        value = self.js(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            "return e ? e.textContent : null;})()"
        )
        return None if value is None else str(value)

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except BrowserError:
            pass
        finally:
            os.close(self._out)
            os.close(self._in)
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WAIT)
