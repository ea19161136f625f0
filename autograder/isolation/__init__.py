"""Starting and bounding one run, as the grader (root): the sandbox view and the
user switch (`sandbox`), resource limits and the stall watchdog (`limits`),
limits derived from the reference (`calibration`), the trainer's process
(`trainer_process`), following a run's files (`follow`), and the run itself
(`run`: the job folder, the sandboxed package copied in, the wait).
No student code is imported here; it runs only inside the sandbox it starts.
"""
