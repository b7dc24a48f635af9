"""The admin pages on a real aiohttp server: the desktop's sign-in (cookie sessions) plus
``omnivox.admin``, a real router over a copy of the shipped routing file, a tmp scenarios
directory and a real prompt renderer."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from customers.store import CustomerStore
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox.admin import http as admin_http
from omnivox.admin.graphviz import Graphviz
from routing.core.config import parse_config
from routing.service import Router
from routing.state import MemoryState
from tests.desktop_helpers import Desk, make_agent

ROOT = Path(__file__).resolve().parent.parent
SMALL = """\
name: {name}
languages: [en]
default_language: en
entry: hello
nodes:
  hello:
    kind: say
    prompt: {{en: Hello.}}
    next: menu
  menu:
    kind: menu
    prompt: {{en: Choose.}}
    options:
      - {{key: 1, label: {{en: "Billing, press {{key}}."}}, target: to_billing}}
      - {{key: 2, label: {{en: "Goodbye, press {{key}}."}}, target: bye}}
  to_billing:
    kind: transfer
    service: billing
  bye:
    kind: hangup
"""


@dataclass
class Site:
    desk: Desk
    router: Router
    scenarios: ScenarioSet
    scenario_dir: Path
    routing_path: Path
    graphviz: Graphviz

    @property
    def client(self) -> Any:
        return self.desk.client

    def origin(self) -> dict[str, str]:
        """The Origin header a browser sends with a form of this site."""
        url = self.client.make_url("/")
        return {"Origin": f"{url.scheme}://{url.host}:{url.port}"}

    async def sign_in(self, login: str) -> None:
        """Sign in through the JSON login: the client's cookie jar keeps the session."""
        self.client.session.cookie_jar.clear()
        await self.desk.token(login)


async def people(store: CustomerStore) -> None:
    await make_agent(store, "root", role="admin", team=None)
    await make_agent(store, "sue", role="supervisor")
    await make_agent(store, "ann")


@asynccontextmanager
async def admin_site(
    store: CustomerStore,
    tmp_path: Path,
    *,
    scenario_files: dict[str, str] | None = None,
    dot: str = "dot",
) -> AsyncIterator[Site]:
    """A running site; ``scenario_files`` (name -> text) default to one small valid scenario."""
    scenario_dir = tmp_path / "scenarios"
    scenario_dir.mkdir()
    for name, text in (scenario_files or {"small": SMALL.format(name="small")}).items():
        (scenario_dir / f"{name}.yaml").write_text(text, encoding="utf-8")
    routing_path = tmp_path / "routing.yaml"
    shutil.copy(ROOT / "config" / "routing.yaml", routing_path)
    config = parse_config(yaml.safe_load(routing_path.read_text(encoding="utf-8")))
    router = Router(MemoryState(config.services))
    for record in await store.list_agents():
        await router.add_agent(record)
    scenarios, _ = ScenarioSet.load_dir(scenario_dir)
    renderer = PromptRenderer(tmp_path / "sounds")
    graphviz = Graphviz(dot)
    desk = Desk(store)
    admin_http.setup(
        desk.app,
        scenarios=scenarios,
        renderer=renderer,
        store=store,
        router=router,
        routing_path=routing_path,
        graphviz=graphviz,
    )
    await desk.start()
    try:
        yield Site(desk, router, scenarios, scenario_dir, routing_path, graphviz)
    finally:
        await desk.close()
        await router.close()
        renderer.close()
