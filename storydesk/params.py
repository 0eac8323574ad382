"""Command-line value types shared by the commands.

An id or a limit is bounded by what the database holds (a signed 64-bit integer), so a
number too large for it is a usage error naming the argument, not an overflow in the driver.
"""

from __future__ import annotations

import click

BIGGEST = 2**63 - 1

ROW_ID = click.IntRange(1, BIGGEST)
COUNT = click.IntRange(0, BIGGEST)
