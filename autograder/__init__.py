"""The course's hidden autograder. The packages say where their code runs and with what rights:

As the student, inside the sandbox (uid 65534, no capabilities, a minimal view):
    sandboxed    the student's run: cells, the remote fit, the callbacks' trial,
                 and `protocol`, the one definition of what crosses the boundary

As the grader, on what student code sent (no student code runs here):
    trainer      rebuilds, trains and records each model the student's fit describes
    isolation    starts a run: the sandbox, limits, watchdog, calibration, the trainer process
    evidence     reads what a run left behind into typed evidence; inspects trained models
    checks       generic rules on evidence (layers, training, arrays, callbacks)
    figures      pictures for feedback, drawn from evidence
    assignments  what is specific to each assignment: data, profiles, checks, pitfalls, figures
    datasets     the grader's own copies of the data, verified
    grading      one submission: load, run, evidence, checks, score

Serving the class (as the instructor or the service):
    feedback     the student's feedback page
    gradebook    nbgrader: the autograde preprocessor, recording into the gradebook
    classroom    a whole class: grade-all on Dask, results, report, export, progress, doctor
    service      the JupyterHub grading service: queue, policy, status pages
    apps, cli    one module per command of `python -m autograder`

Shared by all: `errors`, `states`, `spec`, `settings`, `console`. Imports run
downwards in this list; `.importlinter` holds the contracts CI checks.
"""
