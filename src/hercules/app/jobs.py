"""Background clustering runs for the app: one thread per run, live progress, cancellation.

A run executes ``Hercules(...).fit`` in a worker thread; the page polls :meth:`Job.snapshot`
(per stage: done/total and an ETA from the stage's pace so far; LLM summaries advance per
cluster). Cancelling sets a flag that the progress callback checks, so the fit stops at its
next progress report (between clusters and levels), never mid-write. ``draft_run_id`` is the
explorer's id of the run while the LLM still writes its titles (direct mode).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hercules.errors import HerculesError

logger = logging.getLogger(__name__)

MAX_LOG_LINES = 400


class JobCancelled(Exception):
    """Raised inside the worker when the user cancelled the run."""


@dataclass
class Job:
    job_id: str
    started: float = field(default_factory=time.time)
    state: str = "queued"  # queued | running | done | failed | cancelled
    stages: dict[str, tuple[int, int]] = field(default_factory=dict)
    stage_started: dict[str, float] = field(default_factory=dict)
    draft_run_id: str | None = None
    draft_shown: bool = False  # the page has switched to the draft run
    log: list[str] = field(default_factory=list)
    error: str | None = None
    run_id: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, stage: str, done: int, total: int) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled(f"run {self.job_id} cancelled at {stage!r}")
        with self.lock:
            if stage not in self.stages:
                self._append(f"{stage} …")
                self.stage_started[stage] = time.time()
            self.stages[stage] = (int(done), int(total))

    def note(self, message: str) -> None:
        with self.lock:
            self._append(message)

    def _append(self, message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.log.append(f"{stamp} {message}")
        del self.log[:-MAX_LOG_LINES]

    def cancel(self) -> None:
        self.cancel_event.set()
        self.note("cancel requested; stopping at the next progress step")

    @property
    def finished(self) -> bool:
        return self.state in {"done", "failed", "cancelled"}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "job_id": self.job_id,
                "state": self.state,
                "elapsed": round(time.time() - self.started, 1),
                "stages": dict(self.stages),
                "eta": {stage: self._eta(stage) for stage in self.stages},
                "draft_run_id": self.draft_run_id,
                "log": list(self.log),
                "error": self.error,
                "run_id": self.run_id,
            }

    def _eta(self, stage: str) -> float | None:
        """Seconds left in ``stage`` at its pace so far; None before its first step or after."""
        done, total = self.stages[stage]
        if done <= 0 or done >= total:
            return None
        spent = time.time() - self.stage_started.get(stage, self.started)
        return round(spent / done * (total - done), 1)


class _JobLogHandler(logging.Handler):
    """Copies ``hercules.*`` log records emitted by one worker thread into its job log."""

    def __init__(self, job: Job, thread_id: int) -> None:
        super().__init__(level=logging.INFO)
        self.job = job
        self.thread_id = thread_id

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread_id:
            self.job.note(f"{record.levelname.lower()}: {record.getMessage()}")


class JobRunner:
    """Starts and tracks runs. ``work`` does the fitting and returns the new run's id."""

    def __init__(self, max_running: int = 1) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.max_running = max_running

    def get(self, job_id: str | None) -> Job | None:
        if not job_id:
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if not j.finished]

    def start(self, work: Callable[[Job], str]) -> Job:
        if len(self.running()) >= self.max_running:
            raise HerculesError(
                f"{self.max_running} run(s) already in progress; wait for it or cancel it first."
            )
        job = Job(job_id=uuid.uuid4().hex[:12])
        with self._lock:
            self._jobs[job.job_id] = job
        thread = threading.Thread(
            target=self._run, args=(job, work), name=f"hercules-job-{job.job_id}", daemon=True
        )
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[Job], str]) -> None:
        handler = _JobLogHandler(job, threading.get_ident())
        package_logger = logging.getLogger("hercules")
        package_logger.addHandler(handler)
        previous_level = package_logger.level
        if package_logger.getEffectiveLevel() > logging.INFO:
            package_logger.setLevel(logging.INFO)
        job.state = "running"
        job.note("run started")
        try:
            run_id = work(job)
        except JobCancelled:
            job.state = "cancelled"
            job.note("run cancelled")
        except HerculesError as exc:
            job.error = str(exc)
            job.state = "failed"
            job.note(f"failed: {exc}")
        except Exception as exc:  # a bug or a backend failure: keep the page alive, log it
            logger.error("run %s crashed:\n%s", job.job_id, traceback.format_exc())
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"
            job.note(f"failed: {job.error}")
        else:
            job.run_id = run_id
            job.state = "done"
            job.note("run finished")
        finally:
            package_logger.removeHandler(handler)
            package_logger.setLevel(previous_level)

    def wait(self, job_id: str, timeout: float) -> Job:
        """Block until the job finishes (tests and scripts); raises TimeoutError."""
        deadline = time.time() + timeout
        job = self.get(job_id)
        if job is None:
            raise KeyError(f"no job {job_id!r}")
        while not job.finished:
            if time.time() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            time.sleep(0.05)
        return job


def job_folder(workdir: Path, job_id: str) -> Path:
    return workdir / "jobs" / job_id
