"""Every bound on what crosses between the student's run and the grader, in one
place. Both sides read them from here: the sandboxed run (which copies this
package) and the grader's trainer and isolation stage. The defaults of the
grader's own options (`c.RunInIsolation.transfer_limit`, `max_epochs`,
`output_limit`) are these; what a run gets travels in its job.

The resources of a run (time, memory, processes) are the grader's alone:
`autograder.isolation.limits.RunLimits`.
"""

from dataclasses import dataclass

TRANSFER_BYTES = 2 * 2**30  # bytes of training arrays one fit call may hand to the trainer
HEADER_BYTES = 64 * 2**20  # bytes of one message's JSON header (a model's configuration, the fit's arguments)
MAX_EPOCHS = 200  # epochs trained in one run, all fit calls together
MAX_FITS = 10  # fit calls one run may make: each saves a model the grader inspects
MAX_PARAMETERS = 20_000_000  # a model's parameters; the lesson's networks have 1.4 million at most
MAX_CONFIG_BYTES = 1_000_000  # characters of a model's configuration
# A configuration holds shapes and settings; a long list of numbers in it is weights handed over
# (a Constant initializer, a Normalization's arrays): the trainer initialises the weights itself.
MAX_CONFIG_NUMBERS = 64
OUTPUT_CHARACTERS = 1_000_000  # printed output kept per epoch (and outside training) in the event log
MAX_PRINTED = 100_000  # characters of what the callbacks print in one epoch that cross to the trainer
# JSON may write a character as 12 bytes (a surrogate pair, escaped): a reply's header holds MAX_PRINTED of them.
REPLY_HEADER_BYTES = 16 * MAX_PRINTED
SIGNAL_HEADER_BYTES = 1024  # a message that carries no data (the end of training)


@dataclass(frozen=True)
class FrameLimits:
    """What the receiving side accepts in one message."""

    header_bytes: int = HEADER_BYTES
    array_bytes: int = TRANSFER_BYTES
