"""A JobQueue that follows the application's ``Clock`` and never drops a late job.

PTB's ``JobQueue`` runs on APScheduler, which asks ``datetime.now()`` what is due. With a
``FakeClock`` (tests, the demo) that made the schedule follow the machine's calendar instead of
the clock the rest of the bot reads: once the real date passed the tests' fixed date, every job
was "missed" and dropped. And APScheduler's default ``misfire_grace_time`` of one second drops a
job whose moment finds the event loop busy for longer (a chart, a large digest): a ballot would
stay open until the next restart.

``ClockJobQueue`` fixes both:

* ``ClockScheduler`` asks the ``Clock`` what time it is wherever APScheduler decides what is due
  or when a job first runs, and wakes up when a ``FakeClock`` moves (``FakeClock.subscribe``).
  Against the real clock it looks again at least every ``MAX_WAIT`` seconds, so a jump of the
  wall clock (suspend, NTP) is noticed soon.
* Every job is run however late it is (``misfire_grace_time=None``), once (``coalesce``): the
  jobs are written to be safe to run late and twice (they re-check the database).

``run_due()`` runs what is due now and waits for it: the demo's ``/time`` and the tests use it
after moving the clock.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.base import MaxInstancesReachedError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from telegram.ext import JobQueue

from bot import metrics
from bot.services.clock import Clock, SystemClock
from storage.locks import exclusive

log = logging.getLogger(__name__)

#: Longest sleep of the scheduler between two looks at the clock (seconds).
MAX_WAIT = 30.0
#: Jobs that do the cluster's work from the database (every replica schedules them at start):
#: on PostgreSQL one replica at a time runs each. The others concern their own process (the
#: courier's wake-up, a dialogue's timeout, an announcement's delivery, which takes its own
#: lock) and run wherever they were scheduled.
SHARED_JOBS = ("ballot:", "proposal:", "workplan:", "privacy:", "routing:")
#: Every job runs however late, and once however many of its run times were missed.
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class ClockScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """An ``AsyncIOScheduler`` whose "now" is the application's clock."""

    def __init__(self, clock: Clock, **options: Any) -> None:
        self.clock = clock
        self._unsubscribe: Callable[[], None] | None = None
        super().__init__(**options)

    def now(self) -> dtm.datetime:
        return self.clock.now().astimezone(self.timezone)

    def start(self, paused: bool = False) -> None:
        super().start(paused)
        subscribe = getattr(self.clock, "subscribe", None)
        if subscribe is not None and self._unsubscribe is None:
            self._unsubscribe = subscribe(self._clock_moved)

    def shutdown(self, wait: bool = True) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        super().shutdown(wait)

    def _clock_moved(self) -> None:
        if self.running and self._eventloop is not None and not self._eventloop.is_closed():
            self.wakeup()

    def _start_timer(self, wait_seconds: float | None) -> None:
        if wait_seconds is None:
            wait_seconds = MAX_WAIT
        super()._start_timer(min(wait_seconds, MAX_WAIT))

    def process_now(self) -> None:
        """Submit what is due at once (synchronously), then re-arm the timer."""
        self._stop_timer()
        self._start_timer(self._process_jobs())

    def _real_add_job(self, job: Any, jobstore_alias: str, replace_existing: bool) -> None:
        # APScheduler computes the first run time with datetime.now(): use the clock.
        if not hasattr(job, "next_run_time"):
            job._modify(next_run_time=job.trigger.get_next_fire_time(None, self.now()))
        super()._real_add_job(job, jobstore_alias, replace_existing)

    def _process_jobs(self) -> float | None:
        """APScheduler 3's ``_process_jobs`` (one job store, one executor per job), reading
        the clock instead of ``datetime.now()``."""
        if self.state == STATE_PAUSED:
            return None
        now = self.now()
        next_wakeup: dtm.datetime | None = None
        events = []
        with self._jobstores_lock:
            for alias, store in self._jobstores.items():
                try:
                    due_jobs = store.get_due_jobs(now)
                except Exception as exc:
                    self._logger.warning("Error getting due jobs from job store %r: %s", alias, exc)
                    retry = now + dtm.timedelta(seconds=self.jobstore_retry_interval)
                    next_wakeup = retry if next_wakeup is None else min(next_wakeup, retry)
                    continue
                for job in due_jobs:
                    try:
                        executor = self._lookup_executor(job.executor)
                    except BaseException:
                        self._logger.error("Executor lookup failed for job %s: removing it", job)
                        self.remove_job(job.id, alias)
                        continue
                    run_times = job._get_run_times(now)
                    run_times = run_times[-1:] if run_times and job.coalesce else run_times
                    if not run_times:
                        continue
                    metrics.JOB_LAG.observe(max((now - run_times[-1]).total_seconds(), 0.0))
                    try:
                        executor.submit_job(job, run_times)
                    except MaxInstancesReachedError:
                        self._logger.warning("Job %s is still running: this run is skipped", job)
                        events.append(
                            JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, run_times)
                        )
                    except Exception:
                        self._logger.exception("Job %s could not be submitted", job)
                    else:
                        events.append(
                            JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, run_times)
                        )
                    following = job.trigger.get_next_fire_time(run_times[-1], now)
                    if following:
                        job._modify(next_run_time=following)
                        store.update_job(job)
                    else:
                        self.remove_job(job.id, alias)
                store_next = store.get_next_run_time()
                if store_next and (next_wakeup is None or store_next < next_wakeup):
                    next_wakeup = store_next.astimezone(self.timezone)
        for event in events:
            self._dispatch_event(event)
        if self.state == STATE_PAUSED or next_wakeup is None:
            return None
        return max((next_wakeup - self.now()).total_seconds(), 0.0)


class ClockJobQueue(JobQueue):  # type: ignore[type-arg]
    """PTB's ``JobQueue`` on a ``ClockScheduler``."""

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.scheduler = ClockScheduler(self.clock, **self.scheduler_configuration)

    @property
    def scheduler_configuration(self) -> dict[str, Any]:
        return {**super().scheduler_configuration, "job_defaults": dict(JOB_DEFAULTS)}

    def _tz_now(self) -> dtm.datetime:
        return self.clock.now().astimezone(self.scheduler.timezone)

    @staticmethod
    async def job_callback(job_queue: Any, job: Any) -> None:
        """Run ``job``; one of ``SHARED_JOBS`` only if no other replica on the same PostgreSQL
        database is running the job of that name right now (``storage.locks.exclusive``)."""
        application = job_queue.application
        name = job.name or ""
        if not name.startswith(SHARED_JOBS):
            await job.run(application)
            return
        async with exclusive(application.bot_data.db, f"job:{name}") as mine:
            if mine:
                await job.run(application)
            else:
                log.debug("job %s runs on another replica", name)

    def run_repeating(self, callback: Any, interval: Any, first: Any = None, **kw: Any) -> Any:
        # Without ``first`` APScheduler would start counting from datetime.now().
        first = interval if first is None else first
        return super().run_repeating(callback, interval, first=first, **kw)

    async def run_due(self) -> None:
        """Run every job due at the clock's time and wait until the jobs have finished."""
        if not self.scheduler.running:
            return
        self.scheduler.process_now()
        await self.drain()

    async def drain(self) -> None:
        """Wait for the jobs that are running (PTB's own ``stop`` reads the same set)."""
        await asyncio.sleep(0)
        while pending := list(getattr(self._executor, "_pending_futures", ())):
            await asyncio.gather(*pending, return_exceptions=True)


def every(app: Any, work: Callable[[Any], Awaitable[Any]], seconds: float, name: str) -> None:
    """Run ``work(app)`` every ``seconds`` on the app's clock (one job called ``name``, replacing
    an earlier one), and once now in the background: what fell due while the bot was down."""

    async def job(context: Any) -> None:
        await work(context.application)

    queue = app.job_queue
    for old in queue.get_jobs_by_name(name):
        old.schedule_removal()
    queue.run_repeating(job, interval=seconds, first=seconds, name=name)
    app.bot_data.spawn(work(app), name=f"{name}:catch-up")
