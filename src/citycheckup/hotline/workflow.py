"""The 接诉即办 workflow: states, actions and the table of allowed transitions.

::

    受理 received ──dispatch──▶ 派单 dispatched ──accept──▶ 办理 in_progress ──resolve──▶ 办结 resolved
        │                        │  ▲                        │                              │
        │ reject                 │  └──reassign── 退单 returned ◀──return──┘                 │ rate
        ▼                        ▼                                                          ▼
    rejected (not responsible)  escalated (督办) ──dispatch/accept/resolve──▶ …        回访 rated
                                                                                 (reopen → dispatched)
    any open state ──merge──▶ duplicate

Open311 ``status`` is ``open`` for received, dispatched, in_progress, returned and
escalated, and ``closed`` for resolved, rated, duplicate and rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from citycheckup.errors import HotlineError

__all__ = [
    "ACTIONS",
    "ACTION_ROLES",
    "CLOSED_STATES",
    "OPEN_STATES",
    "STATES",
    "STATE_LABELS",
    "TRANSITIONS",
    "Action",
    "Role",
    "State",
    "allowed_actions",
    "next_state",
    "open311_status",
]

State = Literal[
    "received",
    "dispatched",
    "in_progress",
    "returned",
    "escalated",
    "resolved",
    "rated",
    "duplicate",
    "rejected",
]
Action = Literal[
    "dispatch",
    "reassign",
    "accept",
    "return",
    "escalate",
    "resolve",
    "rate",
    "reopen",
    "merge",
    "reject",
]
Role = Literal["submit", "operate", "admin"]

STATES: tuple[State, ...] = (
    "received",
    "dispatched",
    "in_progress",
    "returned",
    "escalated",
    "resolved",
    "rated",
    "duplicate",
    "rejected",
)
STATE_LABELS: Mapping[State, str] = {
    "received": "受理",
    "dispatched": "派单",
    "in_progress": "办理",
    "returned": "退单",
    "escalated": "督办",
    "resolved": "办结",
    "rated": "回访",
    "duplicate": "合并",
    "rejected": "非职责",
}
OPEN_STATES: frozenset[State] = frozenset(
    {"received", "dispatched", "in_progress", "returned", "escalated"}
)
CLOSED_STATES: frozenset[State] = frozenset(set(STATES) - OPEN_STATES)
ACTIONS: tuple[Action, ...] = (
    "dispatch",
    "reassign",
    "accept",
    "return",
    "escalate",
    "resolve",
    "rate",
    "reopen",
    "merge",
    "reject",
)

#: (state, action) → next state. Anything not listed is refused.
TRANSITIONS: Mapping[tuple[State, Action], State] = {
    ("received", "dispatch"): "dispatched",
    ("received", "reject"): "rejected",
    ("received", "merge"): "duplicate",
    ("received", "escalate"): "escalated",
    ("dispatched", "accept"): "in_progress",
    ("dispatched", "return"): "returned",
    ("dispatched", "reassign"): "dispatched",
    ("dispatched", "escalate"): "escalated",
    ("dispatched", "resolve"): "resolved",
    ("dispatched", "merge"): "duplicate",
    ("dispatched", "reject"): "rejected",
    ("in_progress", "resolve"): "resolved",
    ("in_progress", "return"): "returned",
    ("in_progress", "reassign"): "dispatched",
    ("in_progress", "escalate"): "escalated",
    ("in_progress", "merge"): "duplicate",
    ("in_progress", "reject"): "rejected",
    ("returned", "reassign"): "dispatched",
    ("returned", "dispatch"): "dispatched",
    ("returned", "reject"): "rejected",
    ("returned", "escalate"): "escalated",
    ("returned", "merge"): "duplicate",
    ("escalated", "dispatch"): "dispatched",
    ("escalated", "reassign"): "dispatched",
    ("escalated", "accept"): "in_progress",
    ("escalated", "resolve"): "resolved",
    ("escalated", "merge"): "duplicate",
    ("resolved", "rate"): "rated",
    ("resolved", "reopen"): "dispatched",
    ("rated", "reopen"): "dispatched",
}

#: Which key roles may perform each action (admin may do everything).
ACTION_ROLES: Mapping[Action, frozenset[Role]] = {
    **{a: frozenset({"operate", "admin"}) for a in ACTIONS},
    "rate": frozenset({"submit", "operate", "admin"}),
}


def open311_status(state: str) -> Literal["open", "closed"]:
    """Map a workflow state to the Open311 ``status`` (``open`` or ``closed``)."""
    return "open" if state in OPEN_STATES else "closed"


def allowed_actions(state: str) -> list[Action]:
    """Actions allowed from ``state``, in table order."""
    return [a for (s, a) in TRANSITIONS if s == state]


def next_state(state: str, action: str) -> State:
    """The state reached by ``action`` from ``state``.

    Raises
    ------
    HotlineError
        When the transition is not in :data:`TRANSITIONS`; the message lists the
        allowed actions.
    """
    if state not in STATES:
        raise HotlineError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
    if action not in ACTIONS:
        raise HotlineError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    try:
        return TRANSITIONS[(state, action)]  # type: ignore[index]
    except KeyError:
        allowed = ", ".join(allowed_actions(state)) or "none (final state)"
        raise HotlineError(
            f"action {action!r} is not allowed in state {state!r} ({STATE_LABELS[state]}); "  # type: ignore[index]
            f"allowed: {allowed}"
        ) from None
