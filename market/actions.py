"""What a viewer may do with a record: one answer per action, with the Chinese reason when not.

Every concept's ``access`` module computes its actions from the same predicates its services
enforce: a service calls ``action.require()``, the API exposes the actions in the read schema
(``{"allowed": false, "reason": "本单位尚未通过认证"}``), and pages show buttons from
``record.actions.<name>.allowed`` and print the reason otherwise.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PrivateAttr

from market.errors import Conflict, DomainError, Forbidden, IllegalTransition


class Action(BaseModel):
    """One action's answer. A refusal carries the reason shown to the person and the domain error
    the service raises for it (403 when the viewer may never do it, 409 when the record's state
    does not allow it now)."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason: str | None = None
    _error: type[DomainError] = PrivateAttr(default=Forbidden)

    def require(self) -> None:
        """Raise the refusal as its domain error; do nothing when allowed."""
        if not self.allowed:
            raise self._error(self.reason or "无法执行此操作")

    @property
    def error(self) -> type[DomainError]:
        return self._error

    @property
    def by_state(self) -> bool:
        """Refused because of the record's current state, not because of who the viewer is (pages
        leave such buttons out instead of explaining them)."""
        return not self.allowed and issubclass(self._error, Conflict)


ALLOWED = Action(allowed=True)


def allow() -> Action:
    return ALLOWED


def deny(reason: str, error: type[DomainError] = Forbidden) -> Action:
    """A refusal: ``Forbidden`` for who the viewer is, ``Conflict`` for the record's state."""
    action = Action(allowed=False, reason=reason)
    action._error = error
    return action


def refuse_state(reason: str) -> Action:
    """A refusal because of the record's current state (409, ``illegal_transition``)."""
    return deny(reason, IllegalTransition)


def first(*answers: Action) -> Action:
    """The first refusal among the answers, or allowed when there is none (conditions in order:
    who the viewer is before what the record's state allows)."""
    for answer in answers:
        if not answer.allowed:
            return answer
    return ALLOWED
