"""``enricher worker``, ``enricher beat``, ``enricher webhooks serve`` and ``enricher jobs run``.

The first three need ``ENRICHER_REDIS_URL`` and load the Celery app from the top-level ``tasks``
package (imported by name, so this module stays free of Celery). ``enricher jobs run`` queues a job
when Redis is configured and runs it in this process otherwise (the embedded default).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from enricher.config import Settings, load_settings
from enricher.errors import ConfigError
from enricher.jobs import COMMANDS, JobRequest
from enricher.jobs import QUEUES as JOB_QUEUES
from enricher.records import IdError, canonical_id

__all__ = ["register"]

QUEUES = ",".join(JOB_QUEUES)


def _tasks(settings: Settings) -> ModuleType:
    """The Celery package ``tasks`` (installed with ``enricher``), imported by name so that this module,
    and every other command, stays free of Celery."""
    if settings.redis_url is None:
        raise ConfigError("ENRICHER_REDIS_URL", "the worker, beat and webhook receiver need Redis")
    return importlib.import_module("tasks")


def _worker(args: argparse.Namespace) -> int:
    tasks = _tasks(load_settings())
    argv = [
        "worker",
        f"--queues={args.queues}",
        f"--loglevel={args.loglevel}",
        f"--pool={args.pool}",
        "-O",
        "fair",
    ]
    if args.concurrency:
        argv.append(f"--concurrency={args.concurrency}")
    if args.hostname:
        argv.append(f"--hostname={args.hostname}")
    tasks.app.worker_main(argv=argv)
    return 0


def _beat(args: argparse.Namespace) -> int:
    settings = load_settings()
    tasks = _tasks(settings)
    schedule = args.schedule or str(settings.state_dir / "celerybeat-schedule")
    Path(schedule).parent.mkdir(parents=True, exist_ok=True)
    tasks.app.start(argv=["beat", f"--loglevel={args.loglevel}", f"--schedule={schedule}"])
    return 0


def _webhooks_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from enricher.webhooks import parse_secrets

    if args.limit_concurrency is not None:
        # The app (built by the tasks.webhooks factory, also in --workers children) reads it from here.
        os.environ["ENRICHER_WEBHOOK_CONCURRENCY"] = str(args.limit_concurrency)
    settings = load_settings()
    _tasks(settings)  # fail here, with a clear message, rather than inside uvicorn
    if settings.webhook_secret is None:
        raise ConfigError("ENRICHER_WEBHOOK_SECRET", "the receiver needs the signing secret (whsec_...)")
    parse_secrets(settings.webhook_secret.get_secret_value())  # a weak secret is a config error, here
    # The receiver's own lines (timeouts, disconnects, relay) go out like uvicorn's, at the same level.
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["enricher"] = {
        "handlers": ["default"],
        "level": args.loglevel.upper(),
        "propagate": False,
    }
    uvicorn.run(
        "tasks.webhooks:create",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.loglevel.lower(),
        log_config=log_config,
        access_log=args.access_log,
        # uvicorn has no deadline for receiving a request and its limit_concurrency counts idle
        # sockets: enricher.serving adds the deadlines and a connection cap, the app limits deliveries.
        http="enricher.serving:WebhookHTTPProtocol",
        limit_concurrency=None,
        timeout_keep_alive=10,
    )
    return 0


# --- enricher jobs run ------------------------------------------------------------------------


def _request(args: argparse.Namespace) -> JobRequest:
    try:
        ids = [canonical_id(i) for i in args.ids]  # the API's reading: "007" is 7, "/counterparties/7" too
    except IdError as exc:
        raise ConfigError("ID", str(exc)) from None
    if COMMANDS[args.job].per_id and not ids:
        raise ConfigError("ID", f"{args.job} needs at least one counterparty id")
    return JobRequest(ids=ids, overwrite=args.overwrite, decisions=args.decisions, execute=args.execute)


def _enqueue(tasks: ModuleType, args: argparse.Namespace) -> dict[str, Any]:
    spec = COMMANDS[args.job]
    task = tasks.app.tasks[spec.task]
    sent = [task.apply_async(a, k).id for a, k in spec.messages(_request(args))]
    return {"queued": args.job, "task_ids": sent}


def _run_inline(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    from enricher.jobs import JobContext

    spec = COMMANDS[args.job]
    assert spec.inline is not None  # every command runs inline
    request = _request(args)
    ctx = JobContext.open(settings)
    try:
        with ctx.flowtly() as client:
            ctx.client = client  # one client (one embedded sandbox) for the whole job
            return spec.inline(ctx, request)
    finally:
        ctx.close()


def _jobs_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.job == "apply-merges" and not args.decisions:
        raise ConfigError("--decisions", "apply-merges needs the decisions file")
    if settings.redis_url is not None and not args.inline:
        out = _enqueue(_tasks(settings), args)
    else:
        out = _run_inline(settings, args)
    json.dump(out, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the worker, beat, webhooks and jobs commands."""
    p = sub.add_parser("worker", help="run a Celery worker on ENRICHER_REDIS_URL")
    p.add_argument("--queues", "-Q", default=QUEUES, help=f"queues to consume (default {QUEUES})")
    p.add_argument("--concurrency", "-c", type=int, default=0, help="worker processes (default: CPUs)")
    p.add_argument("--pool", "-P", default="prefork", choices=["prefork", "solo", "threads"])
    p.add_argument("--hostname", "-n", default="", help="node name, e.g. api@%%h")
    p.add_argument("--loglevel", "-l", default="INFO")
    p.set_defaults(func=_worker)

    p = sub.add_parser("beat", help="run the scheduler (nightly match + report, weekly re-enrichment)")
    p.add_argument(
        "--schedule", "-s", default="", help="beat state file (default: STATE_DIR/celerybeat-schedule)"
    )
    p.add_argument("--loglevel", "-l", default="INFO")
    p.set_defaults(func=_beat)

    p = sub.add_parser("webhooks", help="the Flowtly webhook receiver")
    wsub = p.add_subparsers(dest="webhooks_command", required=True, metavar="COMMAND")
    s = wsub.add_parser("serve", help="serve POST /webhooks/flowtly and GET /healthz")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 in a container)")
    s.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    s.add_argument(
        "--limit-concurrency",
        type=int,
        default=None,
        help="deliveries processed at once, 503 beyond (default: ENRICHER_WEBHOOK_CONCURRENCY, 1000)",
    )
    s.add_argument("--access-log", action="store_true", help="log every request")
    s.add_argument("--loglevel", "-l", default="warning")
    s.set_defaults(func=_webhooks_serve)

    p = sub.add_parser("jobs", help="run or queue one background job")
    jsub = p.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")
    r = jsub.add_parser("run", help="queue a job (with Redis) or run it here (embedded mode)")
    r.add_argument("job", choices=list(COMMANDS))
    r.add_argument("ids", nargs="*", help="counterparty ids (match-one, enrich-one)")
    r.add_argument("--inline", action="store_true", help="run in this process even when Redis is set")
    r.add_argument("--overwrite", action="store_true", help="enrich-one: replace existing branding")
    r.add_argument("--decisions", type=Path, help="apply-merges: the decisions file")
    r.add_argument("--execute", action="store_true", help="apply-merges: really merge (default: dry run)")
    r.set_defaults(func=_jobs_run)
