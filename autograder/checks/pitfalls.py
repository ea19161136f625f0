"""Known mistakes, recognised from the evidence, turned into targeted hints.

A pitfall never changes a score: it adds its hint, once, to the message of the
check it explains, so a student learns what to change rather than only that
something failed (or, when Keras forgave the mistake, that it is one). The
other checks it makes fail point to that hint instead of repeating it.

Which mistakes an assignment knows, with their hints and the checks they
explain, is the assignment's (its spec's `pitfalls`); this module holds only
the mechanism.

Example:

    >>> from autograder.assignments.mnist_conv import PIXELS_NOT_SCALED
    >>> PIXELS_NOT_SCALED.explains, PIXELS_NOT_SCALED.causes
    ('reaches_target', ('within_epoch_limit', 'stops_at_target'))
"""

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Pitfall:
    name: str
    hint: str
    explains: str  # the check whose message carries the hint
    causes: tuple  # other checks the mistake can make fail: when one does, it points to the hint
    detect: Callable  # (evidence) -> bool


LOGS_KEY = r"""logs\s*(\.get\(|\[)\s*['"]{key}['"]"""  # logs.get('KEY' or logs['KEY'


def hints_for(pitfalls, evidence, failed):
    """{check name: [sentence, ...]} for every pitfall the evidence shows: its hint
    on the check it explains, a pointer to it on each check in `failed` it causes."""
    hints = {}
    for pitfall in filter(lambda pitfall: pitfall.detect(evidence), pitfalls):
        hints.setdefault(pitfall.explains, []).append(pitfall.hint)
        pointer = f"See the hint under `{pitfall.explains}`."
        for name in (name for name in pitfall.causes if name in failed):
            if pointer not in hints.get(name, []):  # two pitfalls explained by one check: one pointer
                hints.setdefault(name, []).append(pointer)
    return hints
