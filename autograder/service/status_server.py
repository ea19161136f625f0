"""The grading service's status page and API, served through JupyterHub.

Under the service's prefix (`/services/autograder/` when the service is named
`autograder`):

- `/`: the logged-in student's submissions and where each stands (queued,
  grading, graded with the score, failed with the reason), reloaded every
  `refresh` seconds. The browser logs in through the hub (OAuth).
- `/api/status?assignment=NAME`: the same as JSON, for a hub token in an
  `Authorization: token ...` header, such as a user server's
  `$JUPYTERHUB_API_TOKEN` (what `autograder.service.status_client.fetch_status` sends).

A user only ever sees their own submissions: the name comes from the hub, never
from the request. The score and the reason of a failure show once feedback is
released; where the assignment withholds feedback, "graded" is all it says.
The JupyterHub user name is the nbgrader student id.

Example:

    >>> from autograder.service.status_server import StatusServer
    >>> StatusServer(config=config).start(queue)  # doctest: +SKIP
"""

import asyncio
import os
import threading
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado.escape import xhtml_escape
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler, authenticated
from traitlets import Integer
from traitlets.config import LoggingConfigurable

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{refresh}">
<title>Grading status</title></head>
<body><h1>Your submissions, {user}</h1>
{body}
<p>Latest submission counts. Reloads every {refresh} s.</p>
</body></html>
"""


class StatusServer(LoggingConfigurable):
    """Serves each student's rows of the queue, at the address JupyterHub gave the service."""

    refresh = Integer(10, help="Seconds between two reloads of the status page.").tag(config=True)

    def start(self, queue):
        """Binds the service's address now (so a taken port stops the service), serves in a daemon thread."""
        address = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        sockets = bind_sockets(address.port, address.hostname)
        threading.Thread(target=asyncio.run, args=(self._serve(sockets, prefix, queue),), daemon=True,
                         name="status-server").start()
        self.log.info("Status page at %s", prefix)

    async def _serve(self, sockets, prefix, queue):
        app = Application([(prefix, PageHandler), (url_path_join(prefix, "api/status"), ApiHandler),
                           (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler)],
                          cookie_secret=os.urandom(32), queue=queue, refresh=self.refresh)
        HTTPServer(app).add_sockets(sockets)
        await asyncio.Event().wait()


class StatusHandler(HubOAuthenticated, RequestHandler):
    def own_submissions(self):
        rows = self.settings["queue"].rows(student=self.current_user["name"],
                                           assignment=self.get_argument("assignment", None))
        return [public(row) for row in rows]


class PageHandler(StatusHandler):
    @authenticated
    def get(self):
        items = "".join(f"<li>{xhtml_escape(entry['line'])}</li>\n" for entry in self.own_submissions())
        body = f"<ul>\n{items}</ul>" if items else "<p>No submissions yet.</p>"
        self.write(PAGE.format(user=xhtml_escape(self.current_user["name"]), body=body,
                               refresh=self.settings["refresh"]))


class ApiHandler(StatusHandler):
    def get(self):
        if not self.current_user:  # an API answers 403, it does not redirect to a login page
            raise HTTPError(403)
        self.write({"user": self.current_user["name"], "submissions": self.own_submissions()})


def public(row):
    """What the student sees of a queue row, with `line`, the row in words."""
    withheld = row["score"] is not None and not row["feedback"]
    entry = {"assignment": row["assignment"], "timestamp": row["timestamp"],
             "state": "graded" if withheld else row["state"],
             "score": None if withheld else row["score"], "max_score": None if withheld else row["max_score"],
             "reason": "" if withheld else row["note"], "feedback_released": bool(row["feedback"])}
    return {**entry, "line": f"{row['assignment']} submitted {row['timestamp']}: {describe(entry)}"}


def describe(entry):
    state, why = entry["state"], entry["reason"]
    fetch = f"feedback ready: nbgrader fetch_feedback {entry['assignment']}"
    if entry["score"] is not None:
        score = f"{entry['score']:g}/{entry['max_score']:g}"
        return f"graded, {score}; {fetch}" if state == "graded" else f"failed, {score}: {why}; {fetch}"
    return {"queued": f"queued ({why})" if why else "queued",
            "grading": "grading",
            "graded": "graded; your instructor will release scores and feedback",
            "failed": f"failed: {why}",
            "superseded": "not graded: a later submission counts"}[state]
