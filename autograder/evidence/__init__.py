"""What a run left behind, read as the grader: the trainer's record (trusted: the
grader's own process wrote it), the student's event log and call results
(untrusted: read carefully, typed, bounded), and the trained models, loaded in
safe mode (`inspect_model`). `collect` turns them into `Evidence`, the one
thing checks read.
"""
