"""Executors: run point tasks somewhere and hand each finished row back, in the caller's thread.

Both have one interface — ``run(tasks, on_done)``, ``close()``, context manager — and both
call the same `run_task` (a sweep point or a job), so work gives the same rows on either.

- `ProcessExecutor` (default): a local process pool, workers = cores. A worker killed from
  outside (SIGKILL, OOM killer) breaks a `ProcessPoolExecutor`; the executor then collects
  every row that did finish, starts a new pool and re-submits only the lost points.
- `DaskExecutor`: a dask.distributed cluster, an existing one (``scheduler="tcp://host:8786"``)
  or a `LocalCluster` bound to loopback. Dask itself re-runs a task whose worker died.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import uuid
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable

from ebn_circuit.errors import ConfigError
from ebn_circuit.spice.sandbox import die_with_parent
from ebn_circuit.sweep.dask_access import QUIET_HTTP_ROUTES, check_scheduler, local_security
from ebn_circuit.sweep.plan import PointTask
from ebn_circuit.sweep.worker import close_simulators, failed_row, run_task

OnDone = Callable[[PointTask, dict], None]
EXECUTORS = ("process", "dask")


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return default_workers()
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be an integer >= 1, got {workers!r}")
    return workers


def _pool_worker_init(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent handles it and ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed outright (SIGKILL, OOM) takes its workers along, and they their ngspice.
    die_with_parent(parent)


class ProcessExecutor:
    """A local pool of ``workers`` processes (default: the cores this process may use).

    max_lost: how often a point may lose its worker before it is recorded as failed
        (``error="WorkerLost"``) instead of re-submitted.
    Attributes after `run`: ``resubmitted`` (keys of points re-run after a worker died, one
    entry per loss) and ``restarts`` (pools rebuilt).
    """

    name = "process"

    def __init__(self, workers: int | None = None, max_lost: int = 3):
        self.workers = _check_workers(workers)
        self.max_lost = max_lost
        self.resubmitted: list[str] = []
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        # fork: workers start fast and need no `if __name__ == "__main__"` guard in scripts.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_pool_worker_init,
                                   initargs=(os.getpid(),))

    def worker_pids(self) -> list[int]:
        """Process ids of the current pool's workers (for monitoring and fault tests)."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return [pid for pid, process in list(processes.items()) if process.is_alive()]

    def run(self, tasks: Iterable[PointTask], on_done: OnDone) -> None:
        pending = deque(tasks)
        lost: Counter[str] = Counter()
        inflight: dict = {}
        if self._pool is None:
            self._pool = self._new_pool()
        try:
            while pending or inflight:
                broken = False
                # Keep exactly one point per worker in flight: a broken pool then loses only
                # the points that were running, and those are the ones re-submitted.
                while pending and len(inflight) < self.workers:
                    task = pending.popleft()
                    try:
                        inflight[self._pool.submit(run_task, task)] = task
                    except BrokenProcessPool:
                        pending.appendleft(task)
                        broken = True
                        break
                if inflight:
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    if broken or any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                        broken = True
                        done, _ = wait(inflight)  # the rest resolve at once, finished or lost
                    for future in done:
                        task = inflight.pop(future)
                        error = future.exception()
                        if error is None:
                            on_done(task, future.result())
                        elif isinstance(error, BrokenProcessPool):
                            lost[task.key] += 1
                            if lost[task.key] > self.max_lost:
                                on_done(task, failed_row(task, "WorkerLost", f"point {task.index}: its worker "
                                                       f"process died {lost[task.key]} times; not retried"))
                            else:
                                self.resubmitted.append(task.key)
                                pending.appendleft(task)
                        else:  # e.g. a task that cannot be pickled
                            on_done(task, failed_row(task, type(error).__name__, str(error)))
                if broken:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
                    self.restarts += 1
        except BaseException:
            self._terminate()
            raise

    def _terminate(self) -> None:
        """Stop now (interrupt): kill the workers, drop queued work."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "ProcessExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Runs points as Dask tasks.

    scheduler: address of an existing scheduler (``tcp://host:8786``, ``tls://…`` with ``security``);
        None starts a LocalCluster of ``workers`` single-threaded worker processes on 127.0.0.1
        (TLS with a throwaway certificate when `cryptography` is installed; see dask_access).
    connect_timeout: seconds to reach the scheduler before a ConfigError.
    security: a distributed.Security for a remote scheduler (None: Dask's configuration).
    dashboard: serve the LocalCluster's dashboard on 127.0.0.1:8787 (off by default).
    Each worker process keeps one Simulator for all its tasks (see sweep.worker).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, connect_timeout: float = 5.0,
                 security=None, dashboard: bool = False):
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("the Dask executor needs dask.distributed: pip install "
                              "'ebn_circuit[distributed]'") from None
        self.resubmitted: list[str] = []  # Dask re-runs lost tasks itself
        self.restarts = 0
        self._cluster = None
        if scheduler:
            check_scheduler(scheduler, security, connect_timeout)
            try:
                self.client = Client(scheduler, timeout=connect_timeout, set_as_default=False, security=security)
            except Exception as exc:  # noqa: BLE001 — OSError, TimeoutError, ValueError for a bad address
                raise ConfigError(f"cannot reach the Dask scheduler at {scheduler!r} within {connect_timeout:g} s "
                                  f"({type(exc).__name__}: {exc}); check the address, or leave out "
                                  f"--scheduler to use a local cluster") from None
            self.workers = sum(self.client.nthreads().values())
            if self.workers == 0:
                self.client.close()
                raise ConfigError(f"the Dask scheduler at {scheduler!r} has no workers; start some with "
                                  f"`dask worker {scheduler}`")
        else:
            workers = _check_workers(workers)
            security = local_security()
            # The scheduler serves HTTP whatever dashboard_address says (8787 by default): bind it to
            # loopback on a free port with a health check only, unless the dashboard is wanted.
            routes = {} if dashboard else {"distributed.scheduler.http.routes": QUIET_HTTP_ROUTES}
            with dask.config.set(routes):
                self._cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address="127.0.0.1:8787" if dashboard else "127.0.0.1:0",
                    scheduler_kwargs={"dashboard": dashboard}, worker_dashboard_address=None,
                    security=security, protocol="tls://" if security is not None else None,
                    silence_logs=logging.ERROR)
            self.client = Client(self._cluster, set_as_default=False, security=security)
            self.workers = workers

    def worker_pids(self) -> dict[str, int]:
        """Worker address → process id."""
        return self.client.run(os.getpid)

    def run(self, tasks: Iterable[PointTask], on_done: OnDone) -> None:
        from distributed import as_completed

        nonce = uuid.uuid4().hex[:8]
        futures = {}
        for task in tasks:
            future = self.client.submit(run_task, task, key=f"ebn-sweep-{nonce}-{task.index}-{task.key[:12]}",
                                        pure=False)
            futures[future] = task
        try:
            for future in as_completed(list(futures), loop=self.client.loop):
                task = futures.pop(future)
                if future.status == "finished":
                    on_done(task, future.result())
                else:  # KilledWorker after Dask's own retries, or a cancelled task
                    error = future.exception() if future.status == "error" else None
                    on_done(task, failed_row(task, "WorkerLost" if error is None else type(error).__name__,
                                           str(error) if error is not None else f"task {future.status}"))
                future.release()
        finally:
            if futures:
                self.client.cancel(list(futures))

    def close(self) -> None:
        try:
            self.client.run(close_simulators)
        except Exception:  # noqa: BLE001 — workers may be gone already
            pass
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_executor(kind: str = "process", workers: int | None = None, scheduler: str | None = None,
                  connect_timeout: float = 5.0, security=None, dashboard: bool = False):
    """``"process"`` or ``"dask"``; a scheduler address implies Dask. security, dashboard: see
    DaskExecutor."""
    if scheduler:
        kind = "dask"
    if kind not in EXECUTORS:
        raise ConfigError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")
    if kind == "process":
        return ProcessExecutor(workers)
    if scheduler and workers:
        raise ConfigError("--workers applies to local execution; an existing Dask cluster has its own workers")
    if dashboard and scheduler:
        raise ConfigError("--dashboard applies to the local cluster; a remote scheduler serves its own")
    return DaskExecutor(scheduler=scheduler, workers=workers, connect_timeout=connect_timeout, security=security,
                        dashboard=dashboard)
