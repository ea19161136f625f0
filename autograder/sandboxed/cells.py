"""Executing a submission's cells and calling its graded function once."""

from .events import record_exception
from .protocol import Event


class NoShell:
    """Enough of IPython's shell for cells with magics (`%matplotlib inline`,
    `!pip ...`) to run: magics and shell escapes do nothing here."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = getoutput = run_line_magic


def python_source(cell_source):
    """Turns IPython syntax (magics, `!` commands) into plain Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return cell_source
    return TransformerManager().transform_cell(cell_source)


def run_submission(job, log):
    """Executes the cells and calls the graded function once; returns the
    namespace, or None when the run cannot go on."""
    namespace = {"__name__": "__main__", "get_ipython": NoShell}
    for index, source in enumerate(job.cells):
        try:
            exec(compile(python_source(source), f"<cell {index + 1}>", "exec"), namespace)
        except BaseException as error:  # SystemExit too: it is the student's, not ours
            record_exception(log, f"cell {index + 1}", error)
            return None
    if not job.entry_point:
        return namespace
    entry_point = namespace.get(job.entry_point)
    if not callable(entry_point):
        log.write(Event.MISSING_ENTRY_POINT, name=job.entry_point)
        return None
    try:
        returned = entry_point()
    except BaseException as error:
        record_exception(log, job.entry_point, error)
        return None
    log.write(Event.RETURNED, value=repr(returned)[:500])
    return namespace
