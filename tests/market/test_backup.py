"""Online SQLite backup while the application writes, restore into a fresh file, compare."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from market import backup as bk
from market.audit import service as audit
from market.db import make_engine, session_scope
from market.errors import Conflict, Invalid
from market.migrate import upgrade
from market.orgs.models import Organisation
from tests import factories


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()


@pytest.fixture
def live_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with session_scope(factory) as s:
        org = factories.create_org(s, kind="enterprise")
        user = factories.create_user(s, org)
        for i in range(30):
            factories.create_need(
                s, org=org, user=user, status="published", title=f"已有需求第{i}号：在线监测"
            )
    yield path, factory
    engine.dispose()


def test_backup_while_writing_then_restore_into_fresh_file(live_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, factory = live_db
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            with session_scope(factory) as s:
                org = factories.create_org(s, kind="enterprise", name=f"并发写入单位{n}")
                audit.record(s, None, "test.write", "organisation", org.id, {"n": n})
            written.append(n)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:  # the writer is really running
            stop.wait(0.01)
        report = bk.backup(path, tmp_path / "snap.db")
        during = len(written)
    finally:
        stop.set()
        thread.join()
    assert len(written) > 5
    assert report.tables["organisations"] >= 1 + 5  # taken mid-stream, not before the writer started
    assert during >= 5

    # The snapshot is consistent: every organisation written has its audit entry, and vice versa.
    with sqlite3.connect(report.path) as conn:
        orgs = {r[0] for r in conn.execute("SELECT id FROM organisations WHERE name LIKE '并发写入单位%'")}
        audited = {
            r[0] for r in conn.execute("SELECT object_id FROM audit_entries WHERE action='test.write'")
        }
        assert orgs == audited
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert report.tables["needs"] == 30

    fresh = tmp_path / "fresh" / "restored.db"
    restored = bk.restore(report.path, fresh)
    assert restored.tables == report.tables
    for table in ("needs", "organisations", "users", "audit_entries", "outbox_entries"):
        assert _rows(fresh, table) == _rows(report.path, table), table
    # The restored file is a working database for the application.
    engine = make_engine(f"sqlite:///{fresh}")
    upgrade(engine)
    with sessionmaker(bind=engine)() as s:
        assert s.query(Organisation).count() == report.tables["organisations"]
    engine.dispose()


def test_restore_refuses_non_empty_database_unless_forced(live_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, factory = live_db
    snap = bk.backup(path, tmp_path / "snap.db").path
    with session_scope(factory) as s:
        factories.create_org(s, kind="enterprise", name="备份之后新增的单位")
    with pytest.raises(Conflict):
        bk.restore(snap, path)
    factory.kw["bind"].dispose()
    report = bk.restore(snap, path, force=True)
    with sqlite3.connect(path) as conn:
        assert (
            conn.execute("SELECT count(*) FROM organisations WHERE name='备份之后新增的单位'").fetchone()[0]
            == 0
        )
    assert report.tables["needs"] == 30



def test_restore_into_a_new_install_with_only_sign_in_counters_needs_no_force(live_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = live_db
    snap = bk.backup(path, tmp_path / "snap.db").path
    fresh = tmp_path / "fresh.db"
    engine = make_engine(f"sqlite:///{fresh}")
    upgrade(engine)
    engine.dispose()
    with sqlite3.connect(fresh) as conn:  # somebody tried to sign in before the restore
        conn.execute(
            "INSERT INTO login_attempt_counters (address, window_start, attempts) VALUES ('10.0.0.1', '2026-11-27 00:00:00', 3)"
        )
    report = bk.restore(snap, fresh)
    assert report.tables["needs"] == 30

def test_backup_refuses_existing_target_and_garbage(live_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = live_db
    target = tmp_path / "exists.db"
    target.write_bytes(b"")
    with pytest.raises(Conflict):
        bk.backup(path, target)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(Invalid):
        bk.restore(junk, tmp_path / "x.db")
    with pytest.raises(Invalid):
        bk.sqlite_path("postgresql+psycopg://postgres@127.0.0.1/test")


def test_cli_backup_and_restore(live_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from market.settings import get_settings
    from web.cli import app

    path, factory = live_db
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = runner.invoke(app, ["backup", str(tmp_path / "cli.db")])
        assert out.exit_code == 0, out.output
        assert "已备份" in out.output
        refused = runner.invoke(app, ["restore", str(tmp_path / "cli.db")])
        assert refused.exit_code == 1 and "--force" in refused.output
        factory.kw["bind"].dispose()
        done = runner.invoke(app, ["restore", str(tmp_path / "cli.db"), "--force"])
        assert done.exit_code == 0, done.output
        assert "jiebang reindex" in done.output
    finally:
        get_settings.cache_clear()
