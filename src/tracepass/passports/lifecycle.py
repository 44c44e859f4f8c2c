"""The passport lifecycle: every legal status transition, in one table.

`expired` is only ever set by the platform (no API action leads to it); from there
the only way out is archiving. `archived` is terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracepass.core.errors import ApiError

DRAFT = "draft"
IN_REVIEW = "in_review"
APPROVED = "approved"
PUBLISHED = "published"
SUSPENDED = "suspended"
EXPIRED = "expired"
ARCHIVED = "archived"

STATUSES = (DRAFT, IN_REVIEW, APPROVED, PUBLISHED, SUSPENDED, EXPIRED, ARCHIVED)
LIVE_STATUSES = tuple(s for s in STATUSES if s != ARCHIVED)
# Statuses in which content (fields, parties, review decisions) may still change.
EDITABLE_STATUSES = frozenset({DRAFT, IN_REVIEW, APPROVED, PUBLISHED, SUSPENDED})
DELETABLE_STATUSES = frozenset({DRAFT, IN_REVIEW})


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    event: str  # the outbox event type


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", frozenset({DRAFT}), IN_REVIEW, "passport.submitted"),
        Transition("approve", frozenset({IN_REVIEW}), APPROVED, "passport.approved"),
        # From `published`: re-publish, freezing the changes made since into a new snapshot.
        Transition(
            "publish", frozenset({DRAFT, APPROVED, PUBLISHED}), PUBLISHED, "passport.published"
        ),
        Transition("suspend", frozenset({PUBLISHED}), SUSPENDED, "passport.suspended"),
        Transition("unsuspend", frozenset({SUSPENDED}), PUBLISHED, "passport.unsuspended"),
        Transition("archive", frozenset(LIVE_STATUSES), ARCHIVED, "passport.archived"),
    )
}

ACTIONS = tuple(TRANSITIONS)


def illegal_transition(action: str, current: str) -> ApiError:
    transition = TRANSITIONS[action]
    return ApiError(
        409,
        "Invalid status transition",
        {
            "reason": f"Cannot {action} a passport whose status is `{current}`.",
            "action": action,
            "currentStatus": current,
            "allowedFrom": sorted(transition.sources),
        },
    )


def check_transition(action: str, current: str) -> Transition:
    """The transition for `action` from `current`; 409 naming the status when illegal."""
    transition = TRANSITIONS[action]
    if current not in transition.sources:
        raise illegal_transition(action, current)
    return transition


def read_only(current: str) -> ApiError:
    return ApiError(
        409,
        "Passport is read-only",
        {
            "reason": f"A passport whose status is `{current}` cannot be changed.",
            "currentStatus": current,
        },
    )
