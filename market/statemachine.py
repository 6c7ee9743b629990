"""A small declarative state machine shared by needs, responses, deals and recognitions."""

from __future__ import annotations

from collections.abc import Mapping

from market.errors import IllegalTransition


class StateMachine:
    def __init__(self, name_zh: str, labels: Mapping[str, str], transitions: Mapping[str, frozenset[str]]):
        self.name_zh = name_zh
        self.labels = dict(labels)
        self.transitions = dict(transitions)

    def allowed(self, current: str) -> frozenset[str]:
        return self.transitions.get(current, frozenset())

    def can(self, current: str, target: str) -> bool:
        return target in self.allowed(current)

    def check(self, current: str, target: str) -> None:
        if not self.can(current, target):
            raise IllegalTransition(
                f"{self.name_zh}当前状态为「{self.label(current)}」，不能变为「{self.label(target)}」",
                details=[{"field": "status", "message": f"「{self.label(current)}」不能变为「{self.label(target)}」"}],
            )

    def label(self, state: str) -> str:
        return self.labels.get(state, state)
