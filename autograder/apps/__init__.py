"""One module per command of `python -m autograder`: its arguments, its help
and exit statuses, and `run`. Each imports what its command needs inside
`run`, so that one command never pays for another's imports.
"""
