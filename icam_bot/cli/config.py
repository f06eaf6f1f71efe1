"""``icam-bot config check``: validate a deployment's settings, files and database before starting the server.

One line per check (``OK``, ``SKIP`` or ``FAIL`` with the reason); exit code 0 when nothing failed, 1
otherwise. Secrets (Slack tokens, signing secret, database password) are never printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icam_bot.config import Settings

OK = "OK"
SKIP = "SKIP"
FAIL = "FAIL"

PG_CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # OK | SKIP | FAIL
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.name}: {self.detail}"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="check the deployment's configuration")
    config_sub = parser.add_subparsers(dest="config_command", metavar="CONFIG_COMMAND")
    check = config_sub.add_parser(
        "check",
        help="validate the environment, Slack settings, routing file, knowledge base, matching mode and database",
        description="Validate everything `icam-bot serve` needs; exit 0 when every check passes, 1 otherwise.",
    )
    check.set_defaults(func=run_check)
    parser.set_defaults(func=lambda _args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_check(_args: argparse.Namespace) -> int:
    results = run_checks()
    for result in results:
        print(result.line(), flush=True)
    failed = [r for r in results if r.status == FAIL]
    if failed:
        print(f"config check: {len(failed)} of {len(results)} checks failed")
        return 1
    print(f"config check: all {len(results)} checks passed")
    return 0


def run_checks() -> list[CheckResult]:
    """Every check, in order; later checks that need valid settings are skipped when the environment is bad."""
    from icam_bot.config import ConfigError, Settings

    results: list[CheckResult] = []
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        results.append(CheckResult("environment", OK, "settings are valid"))
    except ConfigError as exc:
        results.append(CheckResult("environment", FAIL, _problems(exc.problems)))

    results.append(_guarded("slack", lambda: _check_slack(settings)))
    results.append(_guarded("routing file", lambda: _check_programs(settings)))
    if settings is None:
        skipped = "skipped: the environment is invalid"
        results.append(CheckResult("knowledge base", SKIP, skipped))
        results.append(CheckResult("matching", SKIP, skipped))
        results.append(CheckResult("database", SKIP, skipped))
    else:
        ready = settings
        results.append(_guarded("knowledge base", lambda: _check_knowledge(ready)))
        results.append(_guarded("matching", lambda: _check_matching(ready)))
        results.append(_guarded("database", lambda: _check_database(ready)))
    return results


def _guarded(name: str, check: Callable[[], tuple[str, str]]) -> CheckResult:
    """Run one check; an unexpected error is a FAIL line naming it, never a traceback."""
    try:
        status, detail = check()
    except Exception as exc:  # a checker must report, not crash
        status, detail = FAIL, f"unexpected {exc.__class__.__name__}: {_first_line(str(exc))}"
    return CheckResult(name, status, detail)


def _problems(problems: list[object]) -> str:
    return "; ".join(str(p) for p in problems)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _check_slack(settings: Settings | None) -> tuple[str, str]:
    from icam_bot.config import ConfigError, slack_token_configured

    if not slack_token_configured():
        return SKIP, "SLACK_BOT_TOKEN is not set, nor SLACK_BOT_TOKEN_FILE (console and CLI only; `serve` needs it)"
    if settings is None:
        return SKIP, "skipped: the environment is invalid"
    from icam_bot.cli.slack_side import slack_side

    try:
        settings.require_slack()
        slack = slack_side().slack_settings()
    except ConfigError as exc:
        return FAIL, _problems(exc.problems)
    mode = "Socket Mode (SLACK_APP_TOKEN)" if settings.socket_mode else f"HTTP mode on port {settings.port}"
    api = f"API {settings.slack_api_url}" if settings.slack_api_url else "commercial Slack API"
    return OK, f"{mode}, {api}, {len(slack.pmo_members)} PMO member(s) from ICAM_PMO_MEMBERS"


def _check_programs(settings: Settings | None) -> tuple[str, str]:
    """The routing file is valid; example Slack ids fail it when `serve` would refuse them (Slack set, no demo)."""
    from icam_bot.config import slack_token_configured
    from icam_bot.programs.routing import ProgramsError, default_programs_file, example_ids_problem, load_programs

    path = default_programs_file()
    try:
        config = load_programs(path)
    except ProgramsError as exc:
        return FAIL, f"{path} (ICAM_PROGRAMS_FILE): {_problems(exc.problems)}"
    loaded = f"{len(config.programs)} programs from {path}"
    from icam_bot.cli.serve import webhooks_problems

    webhook_problems = webhooks_problems(config)
    if webhook_problems:
        return FAIL, f"{path}: outbound webhooks: {_problems(webhook_problems)}; `icam-bot serve` refuses to start"
    if config.webhooks():
        loaded += f", {len(config.webhooks())} outbound webhook(s)"
    problem = example_ids_problem(config)
    if problem is None:
        return OK, loaded
    if settings is not None and settings.demo:
        return OK, f"{loaded} (example Slack ids: allowed, ICAM_DEMO=1 says this is a demonstration)"
    if slack_token_configured():
        return FAIL, f"{problem}; `icam-bot serve` refuses to start"
    return OK, f"{loaded}, but {problem} before serving Slack"


def _check_knowledge(settings: Settings) -> tuple[str, str]:
    from icam_bot.knowledge import KnowledgeError, load_knowledge
    from icam_bot.knowledge.loader import bundled_knowledge_dir

    where = settings.knowledge_dir or bundled_knowledge_dir()
    try:
        kb = load_knowledge(settings.knowledge_dir, settings.site_file, settings.cache_dir)
    except KnowledgeError as exc:
        shown = exc.problems[:5]
        more = f"; ... and {len(exc.problems) - 5} more (run icam-bot kb check)" if len(exc.problems) > 5 else ""
        return FAIL, f"{where}: {_problems(shown)}{more}"
    note = " (site values are the shipped examples: set ICAM_SITE_FILE)" if kb.site_is_example else ""
    return OK, f"{len(kb.entries)} entries from {where}{note}"


def _check_matching(settings: Settings) -> tuple[str, str]:
    """The matching mode ``serve`` would run in, and the embedding model's verified hash; lexical matching fails
    unless ICAM_EMBEDDINGS=off says it is meant (``serve`` refuses to start then)."""
    from icam_bot.matching.model_files import INSTALL_HINT, MODEL_NAME, model_status

    if settings.embeddings == "off":
        return OK, "lexical (ICAM_EMBEDDINGS=off: the embedding model is not used; far fewer questions answered)"
    status = model_status()
    if status.ok:
        return OK, f"semantic: {MODEL_NAME} from {status.model_dir}, verified model.safetensors sha256 {status.sha256}"
    fix = "" if status.integrity else f"; install it with {INSTALL_HINT}"
    return FAIL, (
        f"lexical: {status.problem}{fix}, or set ICAM_EMBEDDINGS=off to run in lexical mode on purpose; "
        "`icam-bot serve` refuses to start"
    )


def _check_database(settings: Settings) -> tuple[str, str]:
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from icam_bot.db import make_engine, schema_status

    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return FAIL, "DATABASE_URL is not a valid database URL"
    shown = url.render_as_string(hide_password=True)
    secret = url.password

    def scrub(text: str) -> str:
        return text.replace(str(secret), "***") if secret else text

    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and url.database and url.database != ":memory:" and not Path(url.database).expanduser().exists():
        return OK, f"{shown}: the SQLite file does not exist yet; icam-bot serve creates it on start"
    kwargs = {} if sqlite else {"connect_args": {"connect_timeout": PG_CONNECT_TIMEOUT_S}}
    try:
        engine = make_engine(settings.database_url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        return FAIL, f"{shown}: {scrub(_first_line(str(exc)))}"
    try:
        status = schema_status(engine)
    except SQLAlchemyError as exc:
        reason = _first_line(str(getattr(exc, "orig", None) or exc))
        return FAIL, f"cannot reach {shown}: {exc.__class__.__name__}: {scrub(reason)}"
    finally:
        engine.dispose()
    if status.up_to_date:
        return OK, f"{shown} reachable, schema at the newest revision {status.head}"
    current = status.current or "(empty)"
    if sqlite:
        return OK, (
            f"{shown} reachable, schema at {current}, newest {status.head}: "
            "icam-bot serve upgrades SQLite on start (or run icam-bot db upgrade)"
        )
    return FAIL, (
        f"{shown} reachable but the schema is at {current}, newest {status.head}: "
        "run icam-bot db upgrade with the same DATABASE_URL"
    )
