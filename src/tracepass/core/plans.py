"""Plans and their limits. One table, also printed in the README."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    max_v1_writes_per_day: int | None  # None: unlimited
    max_v1_passports_per_day: int | None  # the read budget
    max_dpps: int | None  # live (non-archived) passports
    overage_allowed: bool
    paid: bool


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan("free", 100, 1_000, 50, overage_allowed=False, paid=False),
        Plan("basic", 200, 2_000, 500, overage_allowed=False, paid=True),
        Plan("starter", 350, 5_000, 2_500, overage_allowed=True, paid=True),
        Plan("growth", 500, 10_000, 10_000, overage_allowed=True, paid=True),
        Plan("scale", 1_000, 25_000, 50_000, overage_allowed=True, paid=True),
        Plan("pro", 2_000, 50_000, 250_000, overage_allowed=True, paid=True),
        Plan("enterprise", None, None, None, overage_allowed=True, paid=True),
    )
}

PLAN_NAMES = tuple(PLANS)


def get_plan(name: str) -> Plan:
    return PLANS[name]
