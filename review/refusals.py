"""What a face shows when a decision is refused: the reason in one line, and whether a
reviewer may override it with a reason of their own (the rule itself is review.actions')."""

from __future__ import annotations

from typing import Any


def overridable(outcome: Any) -> bool:
    """The refusal can be overridden with a reason (consent needs a person's check), as
    opposed to one nobody may override (no such testimony, guardian, revoked consent)."""
    if outcome.ok:
        return False
    said = getattr(outcome, "overridable", None)
    if said is not None:
        return bool(said)
    return "--override" in outcome.message


def reason(outcome: Any) -> str:
    """The refusal without the CLI's advice on flags (a face asks for the reason itself)."""
    message: str = outcome.message
    if overridable(outcome):
        # "...; approve only with --override --reason", "...; to reshare it anyway, ..."
        message = "; ".join(part for part in message.split("; ") if "--override" not in part)
    return message
