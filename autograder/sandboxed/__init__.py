"""Code that runs inside the student's sandbox, as the student (uid 65534, no
capabilities), in the same process as the student's code.

Nothing here is trusted: the student's code can read and change all of it.
It is copied into the sandbox as a package of its own (`sandboxed`) and
imports nothing of the grader, only itself, the standard library, NumPy and
Keras. `protocol` is the one typed definition of what crosses the boundary
(file names, events, messages, jobs, framing); the grader's side imports it
from here.

- `runner`: the run (cells, the graded function, the spec's calls);
- `events`: the event log and tagged output;
- `remote_fit`: the student's `fit`, which asks the grader's trainer to train;
- `trial`: the callbacks on a scripted series of epochs (the self-check);
- `cells`, `calls`: executing cells; the grader's calls and Keras' datasets.
"""
