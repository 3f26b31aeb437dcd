"""Where runs execute: this process, local worker processes or a Dask cluster, behind one interface.

Every backend is a ``concurrent.futures.Executor``; ``Bounded`` is the one loop that feeds it, keeping only
a few tasks in flight so that memory does not grow with the number of runs. One worker runs the tasks in
this process (``_InProcess``) through the same code path as many.

Local worker processes never outlive the command: each watches its parent and exits as soon as the parent is
gone, however it ended (``kill -9`` included), so no orphan keeps running or holds the caller's output pipes; and
an interrupted command stops its workers at once instead of waiting for their tasks.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any


class ExecutionError(Exception):
    """A backend that cannot be used (a cluster that cannot be reached, no worker); the message says why."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: a KeyboardInterrupt, so that every cleanup Ctrl-C runs (temporary
    folders removed, worker processes stopped, a sweep marked interrupted) runs for it too."""


_held = 0
_pending: list[KeyboardInterrupt] = []


def _on_signal(signum: int, frame: object) -> None:
    interrupt = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
    if _held:
        _pending.append(interrupt)  # raised when the held section ends
        return
    raise interrupt


@contextmanager
def signals_handled() -> Iterator[None]:
    """While inside: SIGTERM raises Terminated and SIGINT KeyboardInterrupt in the main thread, except within a
    ``held`` section, whose end they wait for. Outside the main thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _pending.clear()


@contextmanager
def held() -> Iterator[None]:
    """A section no interruption may cut short (starting worker processes): a signal arriving meanwhile is raised
    when it ends."""
    global _held
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending:
            interrupt = _pending[0]
            _pending.clear()
            raise interrupt


MAX_WORKERS = 256
"""The most worker processes a command starts (``--workers``); Windows allows a pool at most WINDOWS_MAX_WORKERS."""
WINDOWS_MAX_WORKERS = 61


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class _InProcess(Executor):
    """An executor that runs each task at once in this process: one code path for 1 and many workers."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


def start_method() -> str:
    """How worker processes start: ``forkserver`` on Linux (workers do not inherit the parent's threads, such as a
    progress bar's monitor), ``spawn`` elsewhere (Windows has nothing else; macOS's default). ``IPSIM_START_METHOD``
    overrides it, e.g. to test the ``spawn`` path on Linux."""
    chosen = os.environ.get("IPSIM_START_METHOD") or ("forkserver" if sys.platform.startswith("linux") else "spawn")
    if chosen not in multiprocessing.get_all_start_methods():
        raise ExecutionError(f"IPSIM_START_METHOD={chosen}: this platform starts processes by "
                             f"{', '.join(multiprocessing.get_all_start_methods())}")
    return chosen


def _exit_with_parent() -> None:
    """In a worker: exit as soon as the parent process is gone (its sentinel becomes ready when it ends)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)  # the parent is gone: nobody wants this worker's result

    threading.Thread(target=watch, name="ipsim-parent-watch", daemon=True).start()


def local_executor(workers: int) -> Executor:
    """A pool of ``workers`` processes that exit with their parent, or for one worker this process itself."""
    if workers <= 1:
        return _InProcess()
    if sys.platform == "win32":
        workers = min(workers, WINDOWS_MAX_WORKERS)
    context = multiprocessing.get_context(start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["simulation.execution.batches", "simulation.execution.sweeps"])
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_exit_with_parent)
    try:
        with held():
            # Start every worker now, uninterrupted (tasks submitted together, none finished yet, so each starts
            # a worker): a worker half-started when a signal stops the command would be unknown to the pool.
            for started in [executor.submit(os.getpid) for _ in range(workers)]:
                started.result()
    except BaseException:
        stop_now(executor)
        raise
    return executor


def stop_now(executor: Executor) -> None:
    """Cancel what has not started and stop the worker processes at once (an interruption: nobody waits for
    their tasks). Python 3.14's ``terminate_workers`` does this; before it, the pool's processes are terminated."""
    terminate = getattr(executor, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)


@contextmanager
def local(workers: int) -> Iterator[tuple[Executor, int]]:
    """Worker processes on this machine (this process itself for one worker), and how many run at once."""
    executor = local_executor(workers)
    try:
        yield executor, workers
    except BaseException:
        stop_now(executor)
        raise
    executor.shutdown(wait=True)


@contextmanager
def dask(address: str, timeout: float = 30) -> Iterator[tuple[Executor, int]]:
    """The executor of a Dask distributed client connected to ``address``, and the cluster's worker threads.

    The workers need ipsim installed (the same version), since they import ``simulation.execution``.
    """
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ExecutionError(f"--scheduler {address}: cannot connect ({exc})") from None
    try:
        slots = sum(client.nthreads().values())
        if slots == 0:
            try:
                client.wait_for_workers(1, timeout=timeout)
            except TimeoutError:
                raise ExecutionError(f"--scheduler {address}: no worker joined within {timeout:g} s") from None
            slots = sum(client.nthreads().values())
        yield client.get_executor(pure=False), slots
    finally:
        client.close()


Task = tuple[Hashable, Callable[..., Any], tuple[Any, ...]]
"""A task: its key, a picklable function and its arguments."""


class Bounded:
    """Feeds tasks to an executor with at most ``limit`` in flight, and hands each back as it completes.

    After an interruption, ``salvage`` cancels what has not started and returns the tasks that had
    finished successfully, so that their results can still be kept.
    """

    def __init__(self, executor: Executor, limit: int) -> None:
        self.executor = executor
        self.limit = max(1, limit)
        self.in_flight: dict[Future, Hashable] = {}

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Hashable, Future]]:
        """Yield (key, finished future) for every task, in completion order."""
        todo = iter(tasks)
        while True:
            while len(self.in_flight) < self.limit and (task := next(todo, None)) is not None:
                key, fn, args = task
                self.in_flight[self.executor.submit(fn, *args)] = key
            if not self.in_flight:
                return
            done, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                yield self.in_flight.pop(future), future

    def salvage(self) -> list[tuple[Hashable, Future]]:
        """Cancel the tasks not yet started; return those that finished without an error."""
        kept = []
        for future, key in self.in_flight.items():
            if not future.cancel() and future.done() and future.exception() is None:
                kept.append((key, future))
        self.in_flight.clear()
        return kept
