"""The trainer as a process (`autograder.isolation.trainer_process` starts it, with
the pipes to the student's run as stdin and stdout):

    python -m autograder.trainer FOLDER          # FOLDER holds trainer.json and trusted.npz
    python -m autograder.trainer --probe BYTES   # doctor: one operation on the trainer's device, as JSON
"""

import json
import sys

if sys.argv[1] == "--probe":
    from autograder.trainer.device import probe

    print(json.dumps(probe(int(sys.argv[2]))))
else:
    from autograder.trainer.session import main

    main(sys.argv[1])
