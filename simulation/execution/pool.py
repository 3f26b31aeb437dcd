"""Where runs execute: this process, local worker processes or a Dask cluster, behind one interface.

Every backend is a ``concurrent.futures.Executor``; ``Bounded`` is the one loop that feeds it, keeping only
a few tasks in flight so that memory does not grow with the number of runs. One worker runs the tasks in
this process (``_InProcess``) through the same code path as many.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any


class ExecutionError(Exception):
    """A backend that cannot be used (a cluster that cannot be reached, no worker); the message says why."""


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


def local_executor(workers: int) -> Executor:
    """A pool of ``workers`` processes, or for one worker this process itself."""
    if workers <= 1:
        return _InProcess()
    # forkserver: workers do not inherit the parent's threads (e.g. a progress bar's monitor).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["simulation.execution.batches", "simulation.execution.sweeps"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


@contextmanager
def local(workers: int) -> Iterator[tuple[Executor, int]]:
    """Worker processes on this machine (this process itself for one worker), and how many run at once."""
    executor = local_executor(workers)
    try:
        yield executor, workers
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
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
