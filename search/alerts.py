"""Matched alerts: when a need is published, the providers whose capability profile matches it
hear "可能适合您的新需求", with the explanation (shared key terms, closest capability item).

The outbox worker's handler for topic ``match_alert`` (one entry per published need, written in
the publishing transaction by ``market.flows.publish_batch``). The match is the recommendation
machinery's (``search.recommend.recommend_providers``: hybrid candidates, fused re-ranking); no
transaction is open while it asks Meilisearch and the embedder — the need is read in a session
closed before, the alerts written in a short transaction after. Kept sensible (AlertSettings):
a score threshold, the top N per need, and a cap of alerts per provider per day, so a provider
matching everything is not mailed all day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from market.db import utcnow
from market.errors import NotFound
from market.needs.models import Need
from market.needs.states import OPEN_FOR_RESPONSES
from market.notifications import service as notify
from market.notifications.models import Notification, SavedSearch
from market.orgs.models import PROVIDER_KINDS, Organisation, User
from market.outbox import service as outbox
from market.outbox.models import OutboxEntry
from market.settings import AlertSettings
from matching.embedders import Embedder
from search.client import MeiliClient
from search.errors import SearchError
from search.recommend import Recommendation, recommend_providers

log = logging.getLogger(__name__)

TOPIC = "match_alert"
MAX_SEMANTIC_SEARCHES = 2000
KIND = "match.alert"


def alerts_today(session: Session, org_id: int, now: dt.datetime) -> int:
    """How many needs one provider organisation was alerted of in the last 24 hours."""
    return session.scalar(
        select(func.count(func.distinct(Notification.link)))
        .join(User, User.id == Notification.user_id)
        .where(User.org_id == org_id, Notification.kind == KIND, Notification.created_at > now - dt.timedelta(days=1))
    ) or 0


def alert_body(rec: Recommendation) -> str:
    lines = [rec.reason]
    if rec.shared_terms:
        lines.append("共同关键词：" + "、".join(rec.shared_terms[:8]))
    if rec.best_item:
        lines.append(f"最接近的能力：{rec.best_item}")
    return "\n".join(lines)


@dataclass
class MatchAlertHandler:
    session_factory: sessionmaker[Session]
    client: MeiliClient
    embedder: Embedder
    config: AlertSettings
    prefix: str = "jiebang_"
    lease_s: float = 120.0
    retry_s: float = 30.0
    # One need per turn of the worker's loop: a recommendation costs an embedding and a search,
    # and the mail handler gets its turn in between.
    batch_size: int = 1
    now: Callable[[], dt.datetime] = utcnow

    def run_once(self) -> int:
        done = 0
        for entry_id, need_id in outbox.claim_jobs(self.session_factory, TOPIC, self.now(), self.lease_s, self.batch_size):
            try:
                recs = self._recommend(need_id)
            except SearchError as exc:  # Meilisearch away: try again later, nothing lost
                self._retry(entry_id, str(exc))
                continue
            self._alert(entry_id, need_id, recs)
            done += 1
        return done

    def _recommend(self, need_id: int) -> list[Recommendation]:
        with self.session_factory() as session:
            try:
                return recommend_providers(
                    self.client, session, need_id, self.embedder, prefix=self.prefix,
                    limit=max(self.config.top_n * 2, 1),
                )
            except NotFound:
                return []
            finally:
                session.rollback()

    def _retry(self, entry_id: int, error: str) -> None:
        with self.session_factory() as session:
            entry = session.get(OutboxEntry, entry_id)
            if entry is not None:
                entry.attempts += 1
                entry.last_error = error[:2000]
                entry.next_attempt_at = self.now() + dt.timedelta(seconds=self.retry_s * min(entry.attempts, 20))
            session.commit()

    def _semantic_searches(self, session: Session, need: Need) -> None:
        """Saved searches match semantically too (hybrid): a subscription whose words are not all
        in the need (those were told at publication) but whose meaning is close enough, with its
        filters agreeing, is told now."""
        already = set(session.scalars(
            select(Notification.user_id).where(Notification.kind == "subscription.match", Notification.link == f"/needs/{need.id}")
        ))
        rows = session.execute(
            select(SavedSearch, User)
            .join(User, User.id == SavedSearch.user_id)
            .join(Organisation, Organisation.id == User.org_id)
            .where(SavedSearch.notify.is_(True), SavedSearch.query != "", User.is_active.is_(True),
                   Organisation.kind.in_([k.value for k in PROVIDER_KINDS]), Organisation.id != need.org_id)
            .order_by(SavedSearch.id).limit(MAX_SEMANTIC_SEARCHES)
        ).all()
        # A subscription whose every word is in the need is the saved_search job's (told in words),
        # whichever job runs first.
        candidates = [
            (saved, user) for saved, user in rows
            if user.id not in already and notify.filters_match(saved, need) and not notify.search_matches(saved, need)
        ]
        if not candidates:
            return
        need_vec = np.asarray(self.embedder.embed_passages([f"{need.title}\n{need.summary}"]), dtype=np.float32)[0]
        queries = np.asarray(self.embedder.embed_queries([saved.query for saved, _ in candidates]), dtype=np.float32)
        sims = queries @ need_vec / (np.linalg.norm(queries, axis=1) * float(np.linalg.norm(need_vec)) + 1e-9)
        told: set[int] = set()
        for (saved, user), sim in zip(candidates, sims, strict=True):
            if user.id in told or float(sim) < self.config.saved_search_similarity:
                continue
            told.add(user.id)
            notify.notify_users(
                session, [user.id], "subscription.match", f"订阅「{saved.name}」有相近的新需求：{need.title}",
                f"语义相似度 {float(sim):.2f}\n{need.summary[:200]}", f"/needs/{need.id}",
            )

    def _alert(self, entry_id: int, need_id: int, recs: list[Recommendation]) -> None:
        now = self.now()
        with self.session_factory() as session:
            need = session.get(Need, need_id)
            entry = session.get(OutboxEntry, entry_id)
            if need is not None and need.status in OPEN_FOR_RESPONSES and self.config.top_n > 0:
                sent = 0
                for rec in recs:
                    if sent >= self.config.top_n or rec.score < self.config.threshold:
                        break
                    org = session.get(Organisation, rec.id)
                    if org is None or org.id == need.org_id or not org.is_verified:
                        continue
                    if alerts_today(session, org.id, now) >= self.config.per_provider_per_day:
                        continue
                    notify.notify_org(
                        session, org.id, KIND, f"可能适合您的新需求：{need.title}", alert_body(rec), f"/needs/{need.id}"
                    )
                    sent += 1
            if need is not None and need.status in OPEN_FOR_RESPONSES:
                self._semantic_searches(session, need)
            if entry is not None:
                entry.status = "done"
                entry.processed_at = now
                entry.last_error = ""
            session.commit()
