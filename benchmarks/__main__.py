"""`python -m benchmarks <benchmark> [options]` (`scripts/bench`; `--help` lists them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import (
    audit,
    commands,
    http,
    invoices,
    projector,
    reconcile,
    rentals,
    replay,
    scheduler,
    usage,
)
from benchmarks.common import STORE_CHOICES, BenchError, exit_cleanly_on_sigterm


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Lessor benchmarks: rates beside same-run baselines, and their ratios.",
    )
    sub = top.add_subparsers(dest="benchmark", required=True)

    proj = sub.add_parser("projector", help="projector rebuild rate vs a raw read of the log")
    proj.add_argument("--events", type=_positive, default=200_000, help="events to fill")
    proj.add_argument("--store", choices=STORE_CHOICES, default="both")
    # Two by default: one PostgreSQL rebuild of 200k events takes over a minute here.
    proj.add_argument("--repeat", type=_positive, default=2, help="repetitions (median)")
    proj.add_argument(
        "--catch-up", action="store_true", help="also time catch_up() from position 0"
    )
    proj.add_argument("--profile", action="store_true", help="cProfile one rebuild per projection")
    proj.add_argument(
        "--projection",
        action="append",
        default=[],
        metavar="NAME",
        help="rebuild only this projection (repeatable; default: every registered one)",
    )

    cmd = sub.add_parser("commands", help="single-command save rate vs raw single-row inserts")
    cmd.add_argument("--n", type=_positive, default=2000, help="commands (and raw rows) per run")
    cmd.add_argument("--store", choices=STORE_CHOICES, default="both")
    cmd.add_argument("--repeat", type=_positive, default=3, help="repetitions (median)")
    sch = sub.add_parser("scheduler", help="a tick on the due read model vs today's tick")
    sch.add_argument("--devices", type=_positive, default=100_000, help="leased devices")
    sch.add_argument("--due-percent", type=float, default=1.0, help="share due in a due tick")
    sch.add_argument("--store", choices=STORE_CHOICES, default="sqlite")
    sch.add_argument("--repeat", type=_positive, default=3, help="idle repetitions (median)")
    sch.add_argument(
        "--baseline-sample",
        type=_positive,
        default=None,
        metavar="M",
        help="today's ticks advance only M devices, scaled by N/M (said in the report)",
    )
    use = sub.add_parser("usage", help="usage ingestion in batches vs a raw batched insert")
    use.add_argument("--changes", type=_positive, default=100_000, help="changes in all")
    use.add_argument("--companies", type=_positive, default=100)
    use.add_argument("--batch", type=_positive, default=1000, help="changes per request")
    use.add_argument("--http-share", type=float, default=0.1, help="part also sent over HTTP")
    use.add_argument("--store", choices=STORE_CHOICES, default="both")
    ren = sub.add_parser("rentals", help="the 00:00 rental charge vs single commands")
    ren.add_argument("--accounts", type=_positive, default=10_000, help="rental accounts")
    ren.add_argument("--rentals", type=_positive, default=10, help="rentals per account")
    ren.add_argument("--baseline", type=_positive, default=1_000, help="baseline commands")
    ren.add_argument("--store", choices=STORE_CHOICES, default="postgres")
    aud = sub.add_parser("audit", help="lessor audit verify vs a raw read of the log")
    aud.add_argument("--events", type=_positive, default=200_000, help="events to fill")
    aud.add_argument("--store", choices=STORE_CHOICES, default="sqlite")
    aud.add_argument("--repeat", type=_positive, default=3, help="repetitions (median)")
    rep = sub.add_parser("replay", help="replay and rebuild --all vs a raw read; reconcile")
    rep.add_argument("--events", type=_positive, default=1_000_000, help="events to fill")
    inv = sub.add_parser("invoices", help="the monthly run and issuing vs single commands")
    inv.add_argument("--companies", type=_positive, default=10_000, help="companies to bill")
    inv.add_argument("--store", choices=STORE_CHOICES, default="postgres")
    rec = sub.add_parser("reconcile", help="lessor reconcile of billed companies vs a raw read")
    rec.add_argument("--companies", type=_positive, default=10_000, help="companies billed")
    rec.add_argument("--store", choices=STORE_CHOICES, default="postgres")
    rec.add_argument("--no-rentals", action="store_true", help="no rental account per company")
    rec.add_argument("--profile", action="store_true", help="cProfile the reconcile command")
    web = sub.add_parser("http", help="lessor serve vs a hello-world FastAPI app, over wrk")
    web.add_argument("--workers", type=_positive, action="append", help="repeatable; 1 and 2")
    web.add_argument("--connections", type=_positive, action="append", help="repeatable")
    web.add_argument("--duration", type=_positive, default=10, help="seconds per line")
    web.add_argument("--src", type=Path, default=None, help="Lessor's src/ to serve (before)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    exit_cleanly_on_sigterm()
    try:
        if args.benchmark == "projector":
            options = projector.Options(
                events=args.events,
                repeat=args.repeat,
                catch_up=args.catch_up,
                profile=args.profile,
                projections=tuple(args.projection),
            )
            projector.run(args.store, options)
        elif args.benchmark == "scheduler":
            scheduler.run(
                args.store,
                scheduler.Options(
                    devices=args.devices,
                    due_percent=args.due_percent,
                    repeat=args.repeat,
                    baseline_sample=args.baseline_sample,
                ),
            )
        elif args.benchmark == "usage":
            usage.run(
                args.store,
                usage.Options(
                    changes=args.changes,
                    companies=args.companies,
                    batch=args.batch,
                    http_share=args.http_share,
                ),
            )
        elif args.benchmark == "rentals":
            rentals.run(
                args.store,
                rentals.Options(
                    accounts=args.accounts, rentals=args.rentals, baseline=args.baseline
                ),
            )
        elif args.benchmark == "audit":
            audit.run(args.store, audit.Options(events=args.events, repeat=args.repeat))
        elif args.benchmark == "http":
            http.run(
                http.Options(
                    workers=tuple(args.workers or (1, 2)),
                    connections=tuple(args.connections or (1, 8, 32)),
                    duration_s=args.duration,
                    src=(args.src or http.ROOT / "src").resolve(),
                )
            )
        elif args.benchmark == "replay":
            replay.run(replay.Options(events=args.events))
        elif args.benchmark == "reconcile":
            reconcile.run(
                args.store,
                reconcile.Options(
                    companies=args.companies, rentals=not args.no_rentals, profile=args.profile
                ),
            )
        elif args.benchmark == "invoices":
            invoices.run(args.store, invoices.Options(companies=args.companies))
        else:
            commands.run(args.store, commands.Options(n=args.n, repeat=args.repeat))
    except BenchError as error:
        sys.stderr.write(f"bench: {error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
