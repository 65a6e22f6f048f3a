"""The one place that knows everything: settings -> engine, unit of work, Slack client, app.

Everything else receives what it needs as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_bolt import App
from sqlalchemy import Engine, text

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.core import WorkspaceRepo
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.delivery.worker import OutboxWorker, WorkerConfig
from bot.domain.rules import default_rules
from bot.observability import Metrics, get_logger
from bot.scheduling.timers import Timers
from bot.scheduling.work_queue import WorkQueue
from bot.services import coaching as coaching_service
from bot.services import nudging
from bot.slack.app import build_app
from bot.slack.blocks.coaching import SlackCoachingMessages
from bot.slack.blocks.nudges import NUDGE_MESSAGES
from bot.slack.deps import Deps
from bot.slack.directory import ChannelDirectory, UserDirectory
from bot.slack.http import HttpServer, WSGIApp, make_wsgi_app
from bot.slack.listeners import events
from bot.slack.listeners.reflection import prompt_planner
from bot.slack_client import make_client

log = get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    deps: Deps
    app: App
    worker: OutboxWorker
    events: WorkQueue
    timers: Timers = field(default_factory=Timers)

    def health(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def wsgi(self) -> WSGIApp:
        secret = self.settings.slack_signing_secret
        return make_wsgi_app(
            self.app,
            health=self.health,
            metrics=self.deps.metrics,
            fast_path=events.HttpEvents(self.deps, secret) if secret else None,
        )

    def http_server(self, *, host: str = "127.0.0.1", port: int = 0) -> HttpServer:
        return HttpServer(self.wsgi(), host=host, port=port)

    def start_timers(self) -> None:
        tick = self.settings.tick_seconds
        self.timers.every("inbox_sweep", max(tick, 1.0), lambda: events.sweep(self.deps))
        self.timers.every("outbox", tick, self.worker.drain)
        self.timers.every("coaching_reminders", max(tick, 1.0) * 15, self.coaching_sweep)
        self.timers.every("prompt_planner", tick, prompt_planner(self.deps))
        self.deps.wake = self.timers.wake
        self.timers.start()

    def coaching_sweep(self) -> None:
        """Unanswered coaching requests, skip-level counts, action items coming due."""
        coaching_service.sweep_all(
            self.deps.uow, clock=self.deps.clock, messages=SlackCoachingMessages()
        )

    def close(self) -> None:
        self.timers.stop()
        self.events.stop()
        try:
            self.worker.release()  # hand unstarted claims back to the other replicas now
        except Exception as exc:  # the database may be what is failing; leases expire anyway
            log.warning("release_failed", error=type(exc).__name__)
        self.deps.uow.dispose()
        self.engine.dispose()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    run_migrations: bool = True,
    identify: bool = True,
) -> Runtime:
    """Wire the app. `identify` asks Slack who we are (auth.test, team.info) once, at startup."""
    default_rules()  # compiled now: a broken packaged rule file stops start-up, not an event
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate.upgrade(engine)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    client = make_client(settings)
    clock = clock or SystemClock()
    deps = Deps(
        settings=settings,
        uow=uow,
        clock=clock,
        client=client,
        directory=UserDirectory(client),
        channels=ChannelDirectory(client),
        metrics=Metrics(),
    )
    # Detection's hook: doing-signals become nudges inside the event's transaction; the outbox
    # worker is woken after commit (deps.wake is re-pointed when the timers start).
    deps.on_signals = nudging.make_hook(
        clock=clock,
        messages=NUDGE_MESSAGES,
        wake=lambda: deps.wake(),  # noqa: PLW0108 - late-bound: start_timers re-points wake
        observe=lambda outcome: deps.metrics.nudges.labels(
            outcome=outcome.action if outcome.action != "suppress" else outcome.reason
        ).inc(),
    )
    if identify:
        _identify(deps)
    app = build_app(
        deps,
        signing_secret=settings.slack_signing_secret or "",
        token=settings.slack_bot_token or "",
    )
    worker = OutboxWorker(
        uow=uow,
        client=make_client(settings, for_outbox=True),
        clock=clock,
        metrics=deps.metrics,
        config=WorkerConfig(post_rate_per_second=settings.post_rate),
    )
    # SQLite has one writer: one processing thread; PostgreSQL takes a few in parallel.
    queue = WorkQueue(
        lambda event_id: events.process_event(deps, event_id),
        threads=1 if settings.database_url.startswith("sqlite") else 3,
        name="events",
        busy=deps.metrics.in_flight.busy,
    )
    deps.process_event = queue.put
    queue.start()
    return Runtime(
        settings=settings, engine=engine, deps=deps, app=app, worker=worker, events=queue
    )


def _identify(deps: Deps) -> None:
    auth = deps.client.auth_test()
    deps.team_id = str(auth["team_id"])
    deps.bot_user_id = str(auth["user_id"])
    deps.bot_id = str(auth.get("bot_id") or "")
    name, domain = str(auth.get("team") or ""), ""
    try:
        team = deps.client.team_info()["team"]
        name, domain = str(team.get("name") or name), str(team.get("domain") or "")
    except Exception as exc:  # team:read missing is not fatal: permalinks fall back
        log.warning("team_info_failed", error=type(exc).__name__)
    with deps.uow() as tx:
        WorkspaceRepo(tx.session).ensure(
            deps.team_id, now=deps.clock.now(), name=name, domain=domain
        )
        tx.commit()
    log.info("identified", team=deps.team_id, bot_user=deps.bot_user_id)
