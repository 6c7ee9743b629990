"""Online backup and restore of the embedded SQLite database.

``backup`` copies the live file with SQLite's backup API while the application may keep writing.
By default the copy is made in one step, inside one read transaction: the database runs in WAL
mode, so that reader blocks no writer and sees one consistent snapshot. (Copying in small steps
would let a busy writer restart the copy again and again; SQLite restarts it whenever another
connection changes the source between steps.) ``restore`` copies a backup over the database the settings point at;
it refuses to overwrite a database that holds data unless forced. The search indexes are not in
the backup: the database is the source of truth, so after a restore run ``jiebang reindex``.

PostgreSQL is backed up with its own tools (pg_dump / pg_restore), see docs/operations.md.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from market.errors import Conflict, Invalid


@dataclass(frozen=True)
class BackupReport:
    path: Path
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///`` URL; anything else is not ours to copy."""
    for prefix in ("sqlite+pysqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            path = url.removeprefix(prefix).split("?", 1)[0]
            if path in ("", ":memory:"):
                break
            return Path(path)
    raise Invalid(
        "只有 SQLite 数据库可用本命令备份；PostgreSQL 请使用 pg_dump / pg_restore（见 docs/operations.md）"
    )


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


# Bookkeeping, not data: the schema version and the sign-in attempt counters (a minute's worth).
NOT_DATA = frozenset({"alembic_version", "login_attempt_counters"})


def _has_data(conn: sqlite3.Connection) -> bool:
    return any(n for name, n in table_counts(conn).items() if name not in NOT_DATA)


def backup(source: Path, dest: Path, *, pages_per_step: int = -1) -> BackupReport:
    """A consistent copy of ``source`` at ``dest`` (which must not exist yet)."""
    if not source.exists():
        raise Invalid(f"数据库文件不存在：{source}")
    if dest.exists():
        raise Conflict(f"备份文件已存在：{dest}（请换一个文件名）")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    out = sqlite3.connect(tmp)
    try:
        src.backup(out, pages=pages_per_step, sleep=0.01)
        out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if out.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise Invalid("备份文件完整性校验失败")
        counts = table_counts(out)
    finally:
        out.close()
        src.close()
    tmp.replace(dest)
    return BackupReport(dest, counts)


def restore(backup_file: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copy ``backup_file`` over ``target``. Stop the application first; reindex afterwards."""
    if not backup_file.exists():
        raise Invalid(f"备份文件不存在：{backup_file}")
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            ok = False
        if not ok or "alembic_version" not in table_counts(src):
            raise Invalid(f"不是有效的揭榜数据库备份：{backup_file}")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            if _has_data(dst) and not force:
                raise Conflict(f"目标数据库已有数据：{target}。确认覆盖请加 --force")
            src.backup(dst)
            counts = table_counts(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return BackupReport(target, counts)
