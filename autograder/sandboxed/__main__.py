"""`python -m sandboxed JOB.json OUT_DIR`: the student's run (see `runner`)."""

import sys

from .runner import main

main(sys.argv[1], sys.argv[2])
