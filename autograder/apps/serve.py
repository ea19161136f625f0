"""`python -m autograder serve [--workers N] [--scheduler ADDRESS]`

Runs the grading service: each new submission in nbgrader's exchange is
collected, graded (on a Dask cluster, as grade-all does), recorded in the
gradebook, and its feedback released where the assignment allows
(`c.GradingPolicy`). Run as a JupyterHub-managed service (see
autograder/deploy/jupyterhub_config.py), it also serves each student's status
at its prefix. Stops on SIGTERM or Ctrl-C; a restart resumes where it stopped.

Exit status: 0 when stopped; 2 when the service cannot start (no data, no
sandbox, a configuration file that is not there).
"""

import logging
import os
import signal
import threading

THIRD_PARTY_LOG = None  # a service: its log, JupyterHub's or a unit's, is where people look


def add_arguments(parser):
    parser.add_argument("--workers", type=int, help="local gradings at once (default: c.GradingService.workers)")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (default: c.GradingService.scheduler)")


def run(args, config):
    from autograder.service.grading_service import (
        GradingService,  # with JupyterHub's modules: imported for this command only
    )
    from autograder.service.status_server import StatusServer

    for handler in logging.getLogger().handlers:  # a service's log is read long after: say when
        handler.setFormatter(logging.Formatter("[%(asctime)s autograder] %(message)s"))
    chosen = {"workers": args.workers, "scheduler": args.scheduler}
    service = GradingService(config=config, **{name: value for name, value in chosen.items() if value is not None})
    if "JUPYTERHUB_SERVICE_URL" in os.environ:  # started by JupyterHub: serve the status page too
        StatusServer(config=config).start(service.queue)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    service.run(stopping)
    return 0
