"""Start an RQ worker inside the app: `python worker.py [--no-scheduler] [QUEUE ...]`."""

from __future__ import annotations

import argparse
import sys

from service import create_app
from service.core.config import ConfigError
from service.core.jobs import QUEUES
from service.core.worker import run_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("queues", nargs="*", default=list(QUEUES))
    parser.add_argument(
        "--no-scheduler", action="store_true", help="Leave timed jobs to other workers."
    )
    parser.add_argument("--burst", action="store_true", help="Exit once the queues are empty.")
    args = parser.parse_args()
    try:
        app = create_app()
    except ConfigError as exc:
        sys.exit(f"aftersales: {exc}")
    run_worker(app, tuple(args.queues), with_scheduler=not args.no_scheduler, burst=args.burst)


if __name__ == "__main__":
    main()
