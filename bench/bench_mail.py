"""Mail per published need and the time from publishing a need to its mail in the Maildir.

Run:  python bench/bench_mail.py [--needs 10] [--poll 0.2] [--alerts] [--embedder e5|hash]

A temporary SQLite database built by the migrations and loaded with the demo data set (the seed
writes rows directly, so it queues no mail). Each approved demo need (up to ``--needs``) is then
published the way the bureau does it — a batch of its own, ``market.flows.publish_batch``, one
commit — and the mail handler of the outbox worker (``market.mail.sender.MailSender``, Maildir
transport, the embedded default) runs in a thread the way the worker runs it: woken after each
commit, else polling every ``--poll`` seconds. A second thread watches the Maildir's ``new/``.

With ``--alerts`` a managed Meilisearch is started, the demo providers are indexed, and the
matched-alert handler (``search.alerts.MatchAlertHandler``, the default AlertSettings) runs in the
same loop as the mail handler, so the alerts of each need are counted and timed too.

Prints, per published need: the mails it queued (by kind), and the time from the publishing
commit to the first and to the last of its mails in the Maildir (p50/p95/max).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import email
import email.policy
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import market.models  # noqa: E402,F401
from demo.corpus import generate_corpus  # noqa: E402
from demo.seed import seed_demo  # noqa: E402
from market import flows  # noqa: E402
from market.batches import service as batches  # noqa: E402
from market.batches.schemas import BatchCreate  # noqa: E402
from market.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from market.mail.models import MailMessage  # noqa: E402
from market.mail.sender import MailSender  # noqa: E402
from market.mail.transport import MaildirTransport  # noqa: E402
from market.migrate import upgrade  # noqa: E402
from market.needs.models import Need  # noqa: E402
from market.orgs.models import Organisation, OrgKind, Role, User  # noqa: E402
from market.settings import MailSettings, get_settings  # noqa: E402

MESSAGE_ID = re.compile(r"<jiebang-mail-(\d+)@")


def _pct(values: list[float]) -> str:
    if not values:
        return "—"
    a = np.asarray(values) * 1000
    return f"p50 {np.percentile(a, 50):.0f} ms · p95 {np.percentile(a, 95):.0f} ms · max {a.max():.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--needs", type=int, default=10)
    ap.add_argument("--poll", type=float, default=0.2)
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between publications")
    ap.add_argument("--alerts", action="store_true", help="also run the matched alerts (Meilisearch)")
    ap.add_argument("--embedder", default="e5")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'mail.db'}")
        upgrade(engine)
        factory = make_sessionmaker(engine)
        t = time.perf_counter()
        with session_scope(factory) as s:
            seed_demo(s, generate_corpus(), progress=False)
        print(f"demo data loaded in {time.perf_counter() - t:.1f} s")
        with session_scope(factory) as s:
            need_ids = list(s.scalars(
                select(Need.id).where(Need.status == "approved", Need.batch_id.is_(None)).order_by(Need.id).limit(args.needs)
            ))
            bureau = next(
                u for u in s.scalars(select(User).join(Organisation).where(Organisation.kind == OrgKind.bureau))
                if u.has_role(Role.bureau_admin)
            )
            bureau_id = bureau.id
            providers = s.scalar(select(func.count(User.id)).join(Organisation).where(
                Organisation.kind.in_(["university", "institute", "provider"]), Organisation.verification == "verified",
                User.is_active.is_(True)))
        print(f"{len(need_ids)} approved demo needs to publish; {providers} active users of verified providers")

        maildir = Path(tmp) / "mail"
        sender = MailSender(factory, MaildirTransport(maildir), MailSettings())
        handlers: list[Any] = [sender]
        if args.alerts:
            from matching.embedders import load_embedder
            from search.alerts import MatchAlertHandler
            from search.client import MeiliClient
            from search.indexes import ensure_indexes
            from search.process import LocalMeilisearch
            from search.reindex import reindex

            settings = get_settings()
            server = stack.enter_context(LocalMeilisearch(Path(tmp) / "meili", settings.meili.binary))
            client = MeiliClient(server.url, server.master_key)
            embedder = load_embedder(args.embedder)
            ensure_indexes(client, "bench_", embedder.dim)
            t = time.perf_counter()
            reindex(factory, client, embedder, "bench_", "providers")
            print(f"demo providers indexed in {time.perf_counter() - t:.1f} s ({args.embedder})")
            handlers.append(MatchAlertHandler(factory, client, embedder, settings.alerts, prefix="bench_"))
        stop, wake = threading.Event(), threading.Event()
        arrived: dict[int, float] = {}

        def send_loop() -> None:
            while not stop.is_set():
                wake.clear()
                if sum(h.run_once() for h in handlers) == 0:
                    wake.wait(args.poll)

        def watch() -> None:
            seen: set[str] = set()
            new = maildir / "new"
            while not stop.is_set():
                if new.exists():
                    for path in new.iterdir():
                        if path.name in seen:
                            continue
                        seen.add(path.name)
                        now = time.perf_counter()
                        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                        m = MESSAGE_ID.search(str(msg["Message-ID"]))
                        if m:
                            arrived[int(m.group(1))] = now
                time.sleep(0.005)

        threads = [threading.Thread(target=send_loop, daemon=True), threading.Thread(target=watch, daemon=True)]
        for th in threads:
            th.start()
        published: list[tuple[int, float, list[int]]] = []
        for need_id in need_ids:
            with session_scope(factory) as s:
                actor = s.get(User, bureau_id)
                assert actor is not None
                before = s.scalar(select(func.max(MailMessage.id))) or 0
                batch = batches.create_batch(s, actor, BatchCreate(year=2027, publish_on=None))
                batches.add_needs(s, actor, batch.id, [need_id])
                flows.publish_batch(s, None, batch.id, dt.datetime.now(dt.UTC))
                s.flush()
            t0 = time.perf_counter()
            wake.set()  # what Runtime.notify_worker does after the commit
            published.append((need_id, t0, [before]))
            time.sleep(args.gap)
        if args.alerts:  # wait for every need's alerts
            from market.outbox.models import OutboxEntry

            deadline = time.perf_counter() + 600
            while time.perf_counter() < deadline:
                with session_scope(factory) as s:
                    if not s.scalar(select(func.count(OutboxEntry.id)).where(
                            OutboxEntry.topic == "match_alert", OutboxEntry.status == "pending")):
                        break
                time.sleep(0.5)
        # Each need's mails: those queued by its publication, and the alerts linking to it.
        with session_scope(factory) as s:
            bounds = [ids[0] for _, _, ids in published] + [s.scalar(select(func.max(MailMessage.id))) or 0]
            published = [
                (need_id, t0, list(s.scalars(select(MailMessage.id).where(
                    ((MailMessage.id > lo) & (MailMessage.id <= hi) & (MailMessage.kind != "match.alert"))
                    | ((MailMessage.kind == "match.alert") & (MailMessage.link == f"/needs/{need_id}"))
                ))))
                for (need_id, t0, _), lo, hi in zip(published, bounds, bounds[1:], strict=False)
            ]
        deadline = time.perf_counter() + 120
        wanted = {m for _, _, ids in published for m in ids}
        while time.perf_counter() < deadline and not wanted <= set(arrived):
            time.sleep(0.05)
        stop.set()
        wake.set()
        for th in threads:
            th.join(5)

        with session_scope(factory) as s:
            kinds = collections.Counter(s.scalars(select(MailMessage.kind).where(MailMessage.id.in_(wanted))))
        counts = [len(ids) for _, _, ids in published]
        first = [min(arrived[m] for m in ids) - t0 for _, t0, ids in published if ids and all(m in arrived for m in ids)]
        last = [max(arrived[m] for m in ids) - t0 for _, t0, ids in published if ids and all(m in arrived for m in ids)]
        print(f"mails per published need: mean {np.mean(counts):.1f} · min {min(counts)} · max {max(counts)} "
              f"(by kind over {len(published)} needs: {dict(kinds)})")
        print(f"delivered {len(wanted & set(arrived))}/{len(wanted)} mails")
        print(f"publish → first mail in Maildir: {_pct(first)}")
        print(f"publish → last mail in Maildir:  {_pct(last)}")


if __name__ == "__main__":
    main()
