"""One module per assignment, each defining `SPEC`, a `GradingSpec`."""
