"""A process `leaf run` started stops when `leaf run` is gone, however it went (Ctrl-C, a crash, SIGKILL).

The supervisor passes the read end of a pipe whose write end only it holds (LEAF_PARENT_PIPE_FD). When the
supervisor dies, the kernel closes that write end, a read here returns end-of-file, and the process sends
itself SIGTERM: the same graceful stop `leaf run` orders (health NOT_SERVING, then stop with a grace). This works
on any POSIX system; on Linux the supervisor also arms the parent-death signal (cli/supervisor.py), which ends
the same way without this thread. Unset (a service started by hand, by Kubernetes, by a test), nothing happens.
A worker process a service starts through multiprocessing follows that service the same way
(`follow_spawning_process`), on the end-of-file of the sentinel multiprocessing gives it.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading

from runtime.settings import SettingsError

SETTING = "LEAF_PARENT_PIPE_FD"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def follow_parent() -> None:
    """With LEAF_PARENT_PIPE_FD set, stop this process (SIGTERM to itself) once the supervisor is gone."""
    value = os.environ.get(SETTING)
    if not value:
        return
    try:
        fd = int(value)
        os.fstat(fd)
    except (ValueError, OSError):
        print(f"configuration error: {SETTING} names no open file descriptor", file=sys.stderr)
        raise SettingsError(2) from None
    threading.Thread(target=_stop_at_end_of_file, args=(fd,), name="lifeline", daemon=True).start()


def _stop_at_end_of_file(fd: int) -> None:
    while os.read(fd, 1):  # the supervisor never writes: only its death ends this read
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def die_with_parent() -> None:
    """Linux: SIGTERM to this process when the process that started it ends (a worker process a server spawned
    itself, which gets no lifeline pipe). Elsewhere nothing happens; the parent stops its workers when it stops."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() == 1:  # the parent ended before the signal was armed
        os.kill(os.getpid(), signal.SIGTERM)


def follow_spawning_process() -> None:
    """In a process multiprocessing started (spawn or forkserver): SIGTERM to this process once the process that
    started it is gone, however it went (a SIGKILL too).

    Under forkserver that process is not the parent pid (the fork server is), and a pool worker waits on a queue
    whose write end it holds itself, so nothing else would end it; while it lives it also holds the fork server,
    and both hold the resource tracker (a publisher killed with SIGKILL left all three running). The sentinel
    multiprocessing gives the child reads end-of-file when its starter is gone."""
    starter = multiprocessing.parent_process()
    if starter is None or starter.sentinel is None:
        return
    threading.Thread(target=_stop_at_end_of_file, args=(starter.sentinel,), name="lifeline", daemon=True).start()
