"""The grading service's durable queue: one row per submission seen in the exchange.

A row is `queued`, then `grading`, then `graded` or `failed` (recorded in the
gradebook, or given up), or `superseded` when a later submission of the same
student came first (the latest one counts). Every change is its own SQLite
transaction, so a service killed at any moment finds, on restart, each
submission where it left it. Each call opens its own connection: the grading
loop and the status page, in two threads, share one queue.

Example:

    >>> import os, tempfile
    >>> from autograder.service.queue import SubmissionQueue
    >>> queue = SubmissionQueue(path=os.path.join(tempfile.mkdtemp(), "queue.sqlite"))
    >>> queue.add([("mnist_conv", "alice", "2026-11-27 10:00:00.000000 UTC")])
    [('mnist_conv', 'alice', '2026-11-27 10:00:00.000000 UTC')]
    >>> [row["state"] for row in queue.rows(student="alice")]
    ['queued']
"""

import os
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone

from nbgrader.utils import parse_utc
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    timestamp TEXT NOT NULL,          -- as nbgrader wrote it in the exchange and in timestamp.txt
    submitted_at TEXT NOT NULL,       -- the same, as ISO UTC, for ordering
    state TEXT NOT NULL DEFAULT 'queued',
    note TEXT NOT NULL DEFAULT '',    -- why it waits, or why it failed
    score REAL,                       -- set once recorded in the gradebook
    max_score REAL,
    graded_day TEXT,                  -- UTC date it was recorded: the daily limit counts these
    feedback INTEGER NOT NULL DEFAULT 0,  -- feedback released to the exchange
    attempts INTEGER NOT NULL DEFAULT 0,  -- gradings started, the one under way included
    retry_at TEXT,                    -- after the grader failed: not started again before this (ISO UTC)
    updated TEXT NOT NULL,
    UNIQUE (assignment, student, timestamp)
)
"""


def utc_now():
    return datetime.now(timezone.utc)


class SubmissionQueue(LoggingConfigurable):
    """Submissions and where each stands, in SQLite."""

    path = Unicode(
        ".autograder/service/queue.sqlite",
        help="The grading service's queue (SQLite), relative to the course root. Keep it: it is what makes a "
        "restarted service grade each submission exactly once.",
    ).tag(config=True)

    def __init__(self, root=".", **kwargs):
        super().__init__(**kwargs)
        self.file = os.path.join(root, self.path)
        os.makedirs(os.path.dirname(self.file), exist_ok=True)
        with self._transaction() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers (the status page) never wait for the writer
            db.execute(SCHEMA)

    @contextmanager
    def _transaction(self):
        with closing(sqlite3.connect(self.file, timeout=60)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    def add(self, submissions):
        """Queues those of the (assignment, student, timestamp) not seen before, in one transaction; returns them."""
        with self._transaction() as db:
            return [(assignment, student, timestamp) for assignment, student, timestamp in submissions if db.execute(
                "INSERT OR IGNORE INTO submissions (assignment, student, timestamp, submitted_at, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (assignment, student, timestamp, parse_utc(timestamp).isoformat(), utc_now().isoformat())).rowcount]

    def supersede_older(self):
        """Queued submissions with a later one of the same student and assignment will never be graded."""
        with self._transaction() as db:
            db.execute(
                "UPDATE submissions SET state = 'superseded', note = '', updated = ? WHERE state = 'queued' AND "
                "EXISTS (SELECT 1 FROM submissions AS later WHERE later.assignment = submissions.assignment AND "
                "later.student = submissions.student AND later.submitted_at > submissions.submitted_at)",
                (utc_now().isoformat(),))

    def update(self, row_id, **fields):
        columns = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as db:
            db.execute(f"UPDATE submissions SET {columns}, updated = ? WHERE id = ?",
                       (*fields.values(), utc_now().isoformat(), row_id))

    def rows(self, state=None, student=None, assignment=None):
        """Matching rows as dicts, oldest submission first."""
        wanted = {"state": state, "student": student, "assignment": assignment}
        wanted = {name: value for name, value in wanted.items() if value is not None}
        where = " AND ".join(f"{name} = ?" for name in wanted) or "1"
        with self._transaction() as db:
            found = db.execute(f"SELECT * FROM submissions WHERE {where} ORDER BY submitted_at, id",
                               tuple(wanted.values()))
            return [dict(row) for row in found]

    def graded_on(self, day, student, assignment):
        """How many of the student's submissions of the assignment were recorded on `day` (UTC, ISO)."""
        with self._transaction() as db:
            return db.execute("SELECT COUNT(*) FROM submissions WHERE graded_day = ? AND student = ? AND "
                              "assignment = ?", (day, student, assignment)).fetchone()[0]
