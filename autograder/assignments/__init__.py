"""One module per assignment, each defining `SPEC`, a `GradingSpec` (see
`autograder.spec`): everything specific to that assignment (its data and
profiles, target, shapes, pitfalls, checks, figures, self-checks) lives here
and nowhere else.

Example:

    >>> from autograder.assignments import load_spec
    >>> spec = load_spec("mnist_conv")
    >>> [check.name for check in spec.checks][:2]
    ['single_conv2d', 'single_maxpooling2d']
"""

import importlib
import pkgutil

from autograder.errors import UnknownAssignment
from autograder.spec import SELF_CHECK


def known_assignments():
    return sorted(module.name for module in pkgutil.iter_modules(__path__))


def load_spec(assignment):
    """The SPEC of `autograder/assignments/<assignment>.py`."""
    if assignment not in known_assignments():
        raise UnknownAssignment(f"no grading spec for assignment {assignment!r}; known: {', '.join(known_assignments())}")
    return importlib.import_module(f"{__name__}.{assignment}").SPEC


def load_profile(assignment, name):
    """The profile `name` of `assignment` (its exercise as written when empty); 'check': the self-check's."""
    return SELF_CHECK if name == SELF_CHECK.name else load_spec(assignment).profile(name)
