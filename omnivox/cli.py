"""The ``omnivox`` command: thin argument parsing over the wiring in :mod:`omnivox.server`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from customers.exceptions import CustomerStoreError
from omnivox.config import ConfigError, Settings, load_settings
from omnivox.errors import OmnivoxError


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from omnivox.server import serve_forever

    asyncio.run(serve_forever(settings))
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from omnivox.demo import run_demo

    return asyncio.run(run_demo(settings, linger=args.linger))


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from customers.db import migrate, safe_url

    asyncio.run(migrate(settings.database_url))
    print(f"database at {safe_url(settings.database_url)} is up to date")
    return 0


def _apikey(settings: Settings, args: argparse.Namespace) -> int:
    from customers.db import make_engine, make_sessionmaker, migrate
    from customers.store import CustomerStore
    from omnivox.api import SCOPES, create_api_key

    unknown = sorted(set(args.scope) - set(SCOPES))
    if unknown:
        print(
            f"omnivox apikey: unknown scope {unknown[0]!r} (known: {', '.join(SCOPES)})",
            file=sys.stderr,
        )
        return 2

    async def create() -> str:
        await migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            store = CustomerStore(make_sessionmaker(engine), default_region=settings.default_region)
            return await create_api_key(store, args.name, args.scope)
        finally:
            await engine.dispose()

    print(asyncio.run(create()))
    return 0


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    from ivr.scenario.validate_cli import main as validate_main

    return validate_main(args.paths or [str(settings.scenarios)])


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from routing.core.replay_cli import main as replay_main

    return replay_main(args.replay_args)


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    from omnivox.simulate.cli import main as simulate_main

    return simulate_main(args.simulate_args, settings)


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from speech.models import main as models_main

    return models_main(args.models_args, settings.speech_model)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omnivox", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (default: $OMNIVOX_CONFIG)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server: FastAGI + HTTP + AMI client")
    serve.set_defaults(func=_serve)

    demo = sub.add_parser("demo", help="run the server on the embedded default and place calls")
    demo.add_argument(
        "--linger", action="store_true", help="keep serving after the demo calls (Ctrl-C stops)"
    )
    demo.set_defaults(func=_demo)

    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(func=_migrate)

    apikey = sub.add_parser("apikey", help="create an API key for a channel integration")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="print a new key (shown once)")
    create.add_argument("name", help="what the key is for, e.g. 'chat widget'")
    create.add_argument(
        "--scope", action="append", required=True, help="a scope; repeat for several"
    )
    create.set_defaults(func=_apikey)

    validate = sub.add_parser("validate", help="check scenario files (default: the scenario dir)")
    validate.add_argument("paths", nargs="*")
    validate.set_defaults(func=_validate)

    replay = sub.add_parser("replay", help="re-run recorded routing events through two configs")
    replay.add_argument("replay_args", nargs=argparse.REMAINDER)
    replay.set_defaults(func=_replay)

    simulate = sub.add_parser(
        "simulate",
        help="run QA call scripts (omnivox simulate -h)",
        add_help=False,
        prefix_chars="\0",  # every argument, options included, goes to the simulate parser
    )
    simulate.add_argument("simulate_args", nargs=argparse.REMAINDER)
    simulate.set_defaults(func=_simulate)

    models = sub.add_parser(
        "models",
        help="list, check and install Vosk speech models (omnivox models -h)",
        add_help=False,
        prefix_chars="\0",
    )
    models.add_argument("models_args", nargs=argparse.REMAINDER)
    models.set_defaults(func=_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, overrides={"log_level": args.log_level})
    except ConfigError as exc:
        print(f"omnivox: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(settings, args)
    except (OmnivoxError, ConfigError, CustomerStoreError) as exc:
        print(f"omnivox: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
