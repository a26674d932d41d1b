"""Starting and stopping the control-plane processes, each with its own log file.

Every component runs in its own process group so that a stop reaches anything it
spawned. A process left behind would hold ports and etcd's data directory, and would
outlive the test run, so three nets catch them: ``stop()`` (normal path; Ctrl-C is a
``KeyboardInterrupt`` that unwinds to it), an ``atexit`` hook, and SIGTERM/SIGHUP
handlers that stop the components and then let the signal end the process as it
would have. Processes started from the main thread also get the kernel's parent-death
signal, in case Python itself is killed with SIGKILL (not from other threads: the
kernel sends it when the starting *thread* exits).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
# Resolved once here, so that the child between fork and exec only makes the syscall.
_prctl = ctypes.CDLL(None, use_errno=True).prctl
# Attached processes still running, in start order (later ones depend on earlier ones).
_live: dict[ManagedProcess, None] = {}
# Re-entrant: the signal handler may run while the main thread holds it.
_lock = threading.RLock()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop_then_resignal(signum: int, _frame: FrameType | None) -> None:
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@functools.cache
def _install_hooks() -> None:
    """Once per Python process; the signal handlers only from the main thread (Python's rule)."""
    atexit.register(stop_all)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, _stop_then_resignal)


class ManagedProcess:
    """One long-running component: its command line, its log, and a clean stop."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process id (which is also its process group id)."""
        if self._popen is None:
            raise RuntimeError(f"{self.name} was not started")
        return self._popen.pid

    def start(self, detach: bool = False) -> None:
        """Start in a new session; ``detach`` lets it outlive this Python process."""
        if not detach:
            _install_hooks()
        on_parent_death = not detach and threading.current_thread() is threading.main_thread()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"+ {' '.join(self.argv)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                # One prctl through a pre-resolved symbol: no lock a sibling thread could hold.
                preexec_fn=_die_with_parent if on_parent_death else None,  # noqa: PLW1509
            )
        if not detach:
            with _lock:
                _live[self] = None

    def running(self) -> bool:
        """Whether the process has been started and has not exited."""
        return self._popen is not None and self._popen.poll() is None

    def exit_code(self) -> int | None:
        """The exit status once it has exited, else None."""
        return None if self._popen is None else self._popen.poll()

    def log_tail(self, lines: int = 20) -> str:
        """The end of the log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the whole process group, ignoring one that is gone."""
        if self._popen is not None and self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._popen.pid, signum)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the exit; True if it has exited."""
        if self._popen is None:
            return True
        try:
            self._popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; reaps the process."""
        stop_processes([self], grace)


def stop_processes(processes: Sequence[ManagedProcess], grace: float = 10.0) -> None:
    """Stop several processes at once: SIGTERM to all, then SIGKILL to the stragglers."""
    for process in processes:
        process.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        if not process.wait(max(0.0, deadline - time.monotonic())):
            process.signal(signal.SIGKILL)
            process.wait(5.0)
        # A component killed by its group may leave members behind; sweep the group.
        if process._popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process._popen.pid, signal.SIGKILL)
        with _lock:
            _live.pop(process, None)


def stop_all() -> None:
    """Stop every attached process still running, newest first (the exit and signal hook).

    One at a time, so that the API server is gone before etcd is told to stop.
    """
    with _lock:
        processes = list(_live)
    for process in reversed(processes):
        process.stop(grace=5.0)


def _alive(pid: int, argv0: str) -> bool:
    """Whether ``pid`` still runs ``argv0`` (and is not a reused pid or a zombie)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and cmdline.split(b"\0", 1)[0] == argv0.encode()


def stop_detached(processes: Sequence[tuple[int, str]], grace: float = 10.0) -> None:
    """Stop process groups started by another (finished) Python process.

    ``processes`` holds (pid, argv0) pairs; a pid that no longer runs ``argv0`` is left
    alone, so a stale state file cannot kill an unrelated process.
    """
    targets = [(pid, argv0) for pid, argv0 in processes if _alive(pid, argv0)]
    for pid, _ in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid, argv0) for pid, argv0 in targets):
        time.sleep(0.1)
    for pid, argv0 in targets:
        if _alive(pid, argv0):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def group_rss_bytes(pgid: int) -> int:
    """Resident memory of every process in a process group, from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            status = (entry / "status").read_text()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total
