"""Where the student's submissions stand, asked of the grading service through JupyterHub.

For the student's side (`python -m autograder check`, a notebook cell), from a
JupyterHub user server: the hub's API address and the server's token are in
its environment (`JUPYTERHUB_API_URL`, `JUPYTERHUB_API_TOKEN`); the hub says
where the service is, and the service answers for the token's owner only.
Standard library only, so it runs in any student environment.

Example:

    >>> from autograder.service.status_client import fetch_status
    >>> fetch_status("mnist_conv")  # doctest: +SKIP
    ['mnist_conv submitted 2026-11-27 10:00:00.000000 UTC: graded, 8/8; feedback ready: nbgrader fetch_feedback ...']
"""

import json
import os
import urllib.request
from urllib.parse import quote, urlencode

SERVICE = "autograder"


def fetch_status(assignment, service=SERVICE, timeout=10):
    """One line per submission of `assignment` by this user, oldest first ([] when none).

    None when no grading service can be asked: not in a JupyterHub user server,
    no such service, or it does not answer within `timeout` seconds.
    """
    api, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not (api and token):
        return None
    try:
        found = get_json(f"{api.rstrip('/')}/services/{quote(service)}", token, timeout)
        status = get_json(found["url"].rstrip("/") + found["prefix"] + "api/status?"
                          + urlencode({"assignment": assignment}), token, timeout)
        return [entry["line"] for entry in status["submissions"]]
    except (OSError, ValueError, KeyError):  # unreachable, refused, or not the answer of a grading service
        return None


def get_json(url, token, timeout):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)
