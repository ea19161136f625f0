"""One submission, end to end, as the grader: `load_notebook` -> the isolated
run (`autograder.isolation`) -> `autograder.evidence` -> the spec's checks ->
`score`. `pipeline.Grader` wires the stages and carries their configuration.
"""
