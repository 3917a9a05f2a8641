"""Demo data for a running system: an API key for each kind of user, then each service's records.

Every service that has a `demo` module (`services/<name>/demo.py`) gets its `load(client, keys)`
called with a secretariat client and every demo user's key by principal, for a loader that acts
as someone else (a donor answering a proposal). The loaders go through the public HTTP API, with
idempotency keys, so loading twice changes nothing. Each loader starts once the system has
settled (every event the earlier ones caused is on the broker and read by every subscription), so
that matching allocates over every request and source the demo has, however slow the machine.
The keys are kept in the run's state directory, beside the database that knows them, and shown
on the console for trying the API by hand.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

import httpx

from deploy.local import progress, status
from services import SERVICES
from shared.auth import issue_key
from shared.principal import Principal
from shared.runtime import ServiceDefinition
from shared.settings import CommonSettings

USERS: dict[str, Principal] = {
    "secretariat": Principal.secretariat(),
    "operator": Principal.operator(),
    "national focal point of Lao PDR": Principal.national("LAO"),
    "national focal point of Cambodia": Principal.national("KHM"),
    "regional centre for South-eastern Asia": Principal.regional("south-eastern-asia"),
    "donor (Norway)": Principal.for_donor("norway"),
}
SECRETARIAT = "secretariat"
KEY_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.5
SETTLE_SECONDS = 120.0


def donor_parties() -> dict[str, Principal]:
    """A key for every donor the services' demo data names (a demo module's `DONORS`), so that
    someone answers each source's proposals."""
    named: set[str] = set()
    for module_name in _demo_modules():
        named |= set(getattr(importlib.import_module(module_name), "DONORS", ()))
    known = {p.donor for p in USERS.values()}
    return {f"donor ({donor})": Principal.for_donor(donor) for donor in sorted(named - known)}


def _demo_modules() -> list[str]:
    return [
        f"services.{service}.demo"
        for service in SERVICES
        if importlib.util.find_spec(f"services.{service}.demo") is not None
    ]


def load(
    urls: Mapping[str, str],
    settings: CommonSettings,
    definitions: Iterable[ServiceDefinition],
    keys_file: Path,
) -> dict[str, str]:
    """Load every service's demo data; returns the demo users' keys, by user."""
    keys = _keys(urls, settings, keys_file)
    principals = {**USERS, **donor_parties()}
    by_principal = {principals[user]: key for user, key in keys.items()}
    asyncio.run(_load_services(urls, by_principal, lambda: _settle(settings, definitions)))
    return keys


def _keys(urls: Mapping[str, str], settings: CommonSettings, keys_file: Path) -> dict[str, str]:
    """The stored demo keys if the services know them, else new ones (announced over Kafka)."""
    if keys_file.exists():
        keys: dict[str, str] = json.loads(keys_file.read_text())
        if set(keys) >= {*USERS, *donor_parties()} and asyncio.run(
            _known_everywhere(urls, keys, 5)
        ):
            return keys
    progress("issuing demo API keys")
    keys = asyncio.run(_issue(settings))
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    keys_file.write_text(json.dumps(keys, indent=2))
    keys_file.chmod(0o600)
    if not asyncio.run(_known_everywhere(urls, keys, KEY_WAIT_SECONDS)):
        raise RuntimeError("the services did not learn the demo keys; see their logs")
    return keys


async def _issue(settings: CommonSettings) -> dict[str, str]:
    return {
        user: await issue_key(settings, principal, f"demo: {user}")
        for user, principal in {**USERS, **donor_parties()}.items()
    }


async def _known_everywhere(
    urls: Mapping[str, str], keys: Mapping[str, str], seconds: float
) -> bool:
    """Whether every service accepts every key within about `seconds` (keys travel over Kafka,
    each on its own, so one known says nothing of another)."""
    attempts = int(seconds / POLL_SECONDS)
    async with httpx.AsyncClient(timeout=5) as client:
        for url in urls.values():
            for key in keys.values():
                headers = {"Authorization": f"Bearer {key}"}
                for _ in range(attempts):
                    if (await client.get(f"{url}/v1/whoami", headers=headers)).status_code == 200:
                        break
                    await asyncio.sleep(POLL_SECONDS)
                else:
                    return False
    return True


async def _load_services(
    urls: Mapping[str, str],
    keys: Mapping[Principal, str],
    settle: Callable[[], Awaitable[None]],
) -> None:
    """Each service's demo `load`, in order; then each one's `follow_up`, if it has one: what
    follows from the others' data (the ledger from the matches accepted). Each awaits `settle`
    first."""
    headers = {"Authorization": f"Bearer {keys[Principal.secretariat()]}"}
    modules = set(_demo_modules())
    for step, done in (("load", "loaded"), ("follow_up", "followed up")):
        for service, url in urls.items():
            module_name = f"services.{service}.demo"
            if module_name not in modules:
                continue
            run = getattr(importlib.import_module(module_name), step, None)
            if run is None:
                continue
            await settle()
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
                count = await run(client, keys)
            progress(f"demo data: {service}: {count} items {done}")


async def _settle(settings: CommonSettings, definitions: Iterable[ServiceDefinition]) -> None:
    waiting = await status.settle(settings, definitions, SETTLE_SECONDS)
    if waiting:
        progress(f"demo data: going on although events are still waiting: {waiting}")


async def states_by_obligation(requests_url: str, key: str) -> str:
    """The report the CCM concept note compiles by hand, as lines of text."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as client:
        response = await client.get(f"{requests_url}/v1/reports/states-by-obligation")
    response.raise_for_status()
    lines = ["States requesting assistance, by obligation:"]
    for row in response.json():
        lines.append(f"  {row['convention']} {row['area']}: {', '.join(row['state_names'])}")
    return "\n".join(lines)
