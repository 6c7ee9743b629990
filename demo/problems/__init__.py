"""Industry problem archetypes: the building blocks of demo needs.

Each archetype is one kind of technical problem an enterprise in one industry really has, with its
own vocabulary: title variants, current-state and problem sentences, indicator templates, what has
been tried and the outcome sought. ``{slot}`` placeholders are filled from the archetype's own slot
lists (the same choice throughout one need), ``{a-b}`` with a number in that range (decimals as
written). The composer in ``demo.corpus`` varies structure and openings on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Archetype:
    key: str
    industry: str
    track: str  # digital / green / both
    fields: tuple[str, ...]
    tech: str  # the technical topic, used for provider capability items
    prod: str  # a product/solution noun for that topic
    titles: tuple[str, ...]
    ctx: tuple[str, ...]
    prob: tuple[str, ...]
    ind: tuple[str, ...]
    tried: tuple[str, ...]
    out: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


def make(
    industry: str,
    key: str,
    track: str,
    fields: str,
    tech: str,
    prod: str,
    /,
    *,
    t: str,
    c: str,
    p: str,
    i: str,
    tr: str,
    o: str,
    **slots: str,
) -> Archetype:
    """Build an archetype from compact ``|``-separated strings (fields separated by ``/``)."""
    return Archetype(
        key=key,
        industry=industry,
        track=track,
        fields=tuple(fields.split("/")),
        tech=tech,
        prod=prod,
        titles=_split(t),
        ctx=_split(c),
        prob=_split(p),
        ind=_split(i),
        tried=_split(tr),
        out=_split(o),
        slots={name: _split(values) for name, values in slots.items()},
    )


def all_archetypes() -> list[Archetype]:
    from demo.problems import heavy, manufacturing, textile_paper

    return [*manufacturing.ARCHETYPES, *textile_paper.ARCHETYPES, *heavy.ARCHETYPES]
