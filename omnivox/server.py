"""The composition root: builds every adapter from :class:`Settings` and runs them together.

Pure cores (scenario engine, personalisation, routing decisions) know nothing of this module;
it only connects them to FastAGI, HTTP, the database, AMI and Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.db import check, make_engine, make_sessionmaker, migrate, safe_url
from customers.exceptions import CustomerStoreError
from customers.records import AgentRecord
from customers.store import CustomerStore
from ivr.call import CallerLookup, IvrHandler
from ivr.call.handler import Clock, utc_now
from ivr.fastagi import FastAGIServer, FastAGIStartupError
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox import api, calllog, desktop, metrics, reports, switch, wallboard
from omnivox.admin import http as admin_http
from omnivox.api import calls as api_calls
from omnivox.bus import EventBus
from omnivox.config import Settings
from omnivox.errors import StartupError
from omnivox.gc_tuning import settle_after_startup
from omnivox.health import Health, Probe
from omnivox.http import health as health_http
from omnivox.reports import http as reports_http
from omnivox.scenarios import load_scenarios, watch_scenarios
from omnivox.speech import SpeechService, start_speech
from routing.ami import AMIAuthError, AMIClient, AMIError
from routing.core.config import ConfigError as RoutingConfigError
from routing.core.config import parse_config
from routing.service import RedisLease, Router, SoleLeader
from routing.service import http as routing_http
from routing.state import MemoryState, RedisState, RoutingState
from routing.state.lane import ScriptLane

log = logging.getLogger("omnivox")


class OmnivoxServer:
    """Every long-lived part of a running Omnivox; ``async with`` starts and stops them."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.engine: AsyncEngine | None = None
        self.store: CustomerStore | None = None
        self.renderer: PromptRenderer | None = None
        self.scenarios: ScenarioSet | None = None
        self.fastagi: FastAGIServer | None = None
        self.ivr: IvrHandler | None = None
        self.speech: SpeechService | None = None
        self.ami: AMIClient | None = None
        self.redis: Any = None
        self._routing_redis: Any = None
        self.bus = EventBus()
        self.metrics = metrics.Metrics(CollectorRegistry())  # served at /metrics
        self.bus.listeners.append(self.metrics.on_bus)
        self.router: Router | None = None
        self.switching: switch.SwitchService | None = None
        self.http_runner: web.AppRunner | None = None
        self.http_port: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = {"ready": False}

    async def __aenter__(self) -> OmnivoxServer:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start in dependency order; any failure is a one-line :class:`StartupError`."""
        s = self.settings
        logging.getLogger().addHandler(self.metrics.error_handler)
        await self._start_store()
        self.renderer = PromptRenderer(s.sounds, prefix=s.sound_prefix, logger=log)
        self.scenarios = await load_scenarios(str(s.scenarios), self.renderer, log)
        if not self.scenarios.names():
            log.warning("no valid scenario in %s: every call takes the fallback", s.scenarios)
        await self._start_ami()
        await self._start_redis()
        assert self.store is not None
        # before the router's listener: a contact's hand-over is recorded before its queueing
        self.bus.listeners.append(reports.recorder(self.store, self.clock, logger=log))
        await self._start_router()
        self.switching = self._start_switching()
        self.speech = await start_speech(s, self.renderer, log)
        if self.speech is not None:
            self.speech.pool.on_session = self.metrics.observe_speech
        self.ivr = handler = IvrHandler(
            self.scenarios,
            self.store,
            self.renderer,
            lookup=CallerLookup(self.store, default_region=s.default_region, logger=log),
            publish=self.bus.publish,
            clock=self.clock,
            speech=self.speech.input if self.speech is not None else None,
        )
        self.fastagi = FastAGIServer(
            handler,
            s.fastagi_bind.host,
            s.fastagi_bind.port,
            command_timeout=s.agi_command_timeout,
            on_command=self.metrics.observe_agi_command,
        )
        try:
            await self.fastagi.start()
        except FastAGIStartupError as exc:
            raise StartupError(exc.strerror or str(exc)) from None
        await self._start_http()
        if self.switching is not None and not s.public_url:
            self.switching.public_url = f"http://{s.http_bind.host}:{self.http_port}"
        self._tasks.append(asyncio.create_task(watch_scenarios(self.scenarios, self.renderer, log)))
        self._ready["ready"] = True
        log.info(
            "omnivox ready: FastAGI %s:%d, HTTP %s:%d, database %s",
            s.fastagi_bind.host,
            self.fastagi.port,
            s.http_bind.host,
            self.http_port,
            safe_url(s.database_url),
        )

    async def _start_store(self) -> None:
        url = self.settings.database_url
        try:
            await migrate(url)
            self.engine = make_engine(url)
            await check(self.engine)
        except CustomerStoreError as exc:
            raise StartupError(str(exc)) from None
        except OSError as exc:
            raise StartupError(f"database {safe_url(url)}: {exc}") from None
        self.store = CustomerStore(
            make_sessionmaker(self.engine), default_region=self.settings.default_region
        )

    async def _start_ami(self) -> None:
        ami = self.settings.ami
        if ami is None:
            return
        self.ami = AMIClient(ami.host, ami.port, ami.username, ami.secret, logger=log)
        try:
            await self.ami.connect()
        except AMIAuthError as exc:
            raise StartupError(f"AMI {ami.host}:{ami.port}: {exc}") from None
        except AMIError as exc:
            # Asterisk may start after us: the client keeps reconnecting, /healthz says down.
            log.warning("AMI %s:%d not reachable yet: %s", ami.host, ami.port, exc)

    async def _start_router(self) -> None:
        """The router over the services of the routing file and the agents in the store."""
        path = self.settings.routing
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            log.warning("no routing file %s: transferred callers wait, no agent is offered", path)
            return
        try:
            config = parse_config(yaml.safe_load(text))
        except (RoutingConfigError, yaml.YAMLError) as exc:
            raise StartupError(f"routing file {path}: {exc}") from None
        assert self.store is not None
        state: RoutingState
        if self.redis is not None:  # shared by every instance on this Redis
            prefix = f"{self.settings.redis_prefix}routing:"
            url = self.settings.redis_url or ""
            lane = ScriptLane.from_url(url) if url.startswith("redis://") else None
            state = RedisState(self.routing_redis(), config.services, prefix=prefix, lane=lane)
            leader: RedisLease | SoleLeader = RedisLease(
                self.routing_redis(), f"{prefix}ami-leader", logger=log
            )
        else:
            state, leader = MemoryState(config.services), SoleLeader()
        store = self.store

        async def directory(agent_id: str) -> AgentRecord | None:  # agents another instance added
            return await store.get_agent(int(agent_id)) if agent_id.isdigit() else None

        self.router = Router(
            state, control=self.ami, publish=self.bus.publish, leader=leader, directory=directory
        )
        for record in await self.store.list_agents():
            await self.router.add_agent(record)
        self.bus.listeners.append(self.router.on_bus)
        await self.router.start()

    def routing_redis(self) -> Any:
        """A Redis client answering ``str`` (the routing state's scripts expect it)."""
        if self._routing_redis is None:
            import redis.asyncio as aioredis

            assert self.settings.redis_url is not None
            self._routing_redis = aioredis.from_url(self.settings.redis_url, decode_responses=True)
        return self._routing_redis

    def _start_switching(self) -> switch.SwitchService:
        """SMS links to continue in chat: the bus listener, and the sender with a webhook."""
        s = self.settings
        assert self.store is not None and self.scenarios is not None
        worker = None
        if s.sms_webhook_url:
            sender = switch.WebhookSender(s.sms_webhook_url)
            worker = switch.OutboxWorker(self.store, sender, clock=self.clock)
            self._tasks.append(asyncio.create_task(worker.run()))
        else:
            log.info("no OMNIVOX_SMS_WEBHOOK_URL: SMS links stay queued in the outbox")
        service = switch.SwitchService(
            self.store,
            public_url=s.public_url or f"http://{s.http_bind}",
            clock=self.clock,
            scenarios=self.scenarios.get,
            router=self.router,
            ttl=timedelta(minutes=s.resume_ttl_minutes),
            on_queued=worker.wake if worker is not None else None,
            publish=self.bus.publish,
        )
        self.bus.listeners.append(service.on_bus)
        return service

    async def _start_redis(self) -> None:
        url = self.settings.redis_url
        if url is None:
            return
        import redis.asyncio as aioredis

        self.redis = aioredis.from_url(url)
        try:
            await self.redis.ping()
        except Exception as exc:
            log.warning("Redis at %s not reachable yet: %s", safe_url(url), exc)

    def health(self) -> Health:
        """One probe per configured dependency; unconfigured ones report ``disabled``."""
        engine, ami, redis_client = self.engine, self.ami, self.redis
        db: Probe | None = (lambda: check(engine)) if engine is not None else None
        ami_probe: Probe | None = ami.ping if ami is not None else None
        redis_probe: Probe | None = redis_client.ping if redis_client is not None else None
        return Health(
            {"database": db, "ami": ami_probe, "redis": redis_probe},
            disabled_detail={
                "ami": "no AMI configured (OMNIVOX_AMI_URL)",
                "redis": "in-process state (OMNIVOX_REDIS_URL unset)",
            },
        )

    def build_app(self) -> web.Application:
        """The HTTP application: health now; the agent desktop and APIs mount here."""
        app = web.Application()
        health_http.setup(app, self.health())
        app[health_http.READY] = self._ready
        assert self.store is not None
        api.setup(app, self.store, clock=self.clock)
        if self.router is not None:
            # the desktop's authenticated PUT /api/agents/{id}/state drives the router
            namespace = self.settings.redis_prefix
            hub = desktop.PopHub(self.redis, prefix=f"{namespace}desktop:")
            desktop.setup(
                app,
                store=self.store,
                hub=hub,
                presence=self.router,
                secret=self.secret(),
                redis=self.redis,
                redis_prefix=namespace,
            )
            self.bus.listeners.append(desktop.bus_listener(self.store, hub))
            call_log = calllog.open_log(self.redis, prefix=f"{namespace}calls:")
            self.bus.listeners.append(calllog.listener(call_log))  # GET /api/calls/{id}/routing
            api_calls.setup(app, call_log, hub.store)
            board = wallboard.Wallboard(self.router, self.store)  # SL today from the store
            self.bus.listeners.append(board.on_bus)
            wallboard.setup(app, board)
            routing_http.setup(app, self.router, self.store)
            router = self.router
            reports_http.setup(
                app,
                self.store,
                clock=self.clock,
                targets=lambda name: getattr(router.services.get(name), "sl_target_s", None),
            )
            assert self.scenarios is not None and self.renderer is not None
            admin_http.setup(
                app,
                scenarios=self.scenarios,
                renderer=self.renderer,
                store=self.store,
                router=self.router,
                routing_path=self.settings.routing,
            )
        if self.switching is not None:
            switch.setup(app, self.switching)
        fastagi = self.fastagi
        metrics.setup(
            app,
            self.metrics,
            router=self.router,
            ivr_calls=(lambda: fastagi.active_calls) if fastagi is not None else None,
        )
        return app

    def secret(self) -> bytes:
        """The session-signing secret: the setting, else one generated once under ``var/``."""
        if self.settings.secret_key:
            return self.settings.secret_key.encode()
        path = Path("var") / "secret.key"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(32).encode()
            path.write_bytes(key)
            path.chmod(0o600)
            log.info("generated a session secret in %s (set OMNIVOX_SECRET_KEY to share it)", path)
            return key

    async def _start_http(self) -> None:
        bind = self.settings.http_bind
        self.http_runner = web.AppRunner(self.build_app(), access_log=None)
        await self.http_runner.setup()
        site = web.TCPSite(self.http_runner, bind.host, bind.port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(
                f"HTTP server cannot listen on {bind.host}:{bind.port}: "
                f"{os.strerror(exc.errno) if exc.errno else exc}"
            ) from None
        server = site._server  # aiohttp keeps the asyncio.Server here; the port for port=0
        sockets = getattr(server, "sockets", None) or []
        self.http_port = sockets[0].getsockname()[1] if sockets else bind.port

    async def stop(self) -> None:
        """Stop accepting calls, let running ones finish briefly, then close everything."""
        self._ready["ready"] = False
        logging.getLogger().removeHandler(self.metrics.error_handler)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.fastagi is not None:
            await self.fastagi.close()
        if self.ivr is not None:  # the calls' records still queued for the store
            await self.ivr.aclose()
        if self.speech is not None:
            await self.speech.close()
        if self.router is not None:
            await self.router.close()
            await self.router.state.close()  # the Redis store's script lane
        if self.http_runner is not None:
            await self.http_runner.cleanup()
        if self.ami is not None:
            await self.ami.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self._routing_redis is not None:
            await self._routing_redis.aclose()
        if self.renderer is not None:
            self.renderer.close()
        if self.engine is not None:
            await self.engine.dispose()


async def serve_forever(settings: Settings) -> None:
    """``omnivox serve``: run until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with OmnivoxServer(settings):
        settle_after_startup()  # started: what start-up built stays, out of the GC's reach
        await stop.wait()
        log.info("stopping")
