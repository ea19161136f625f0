"""Generic grading rules, each a small class that reads `Evidence` and returns
an outcome with a message: layer counts and shapes, training, the callbacks on
the scripted trial, arrays against a reference, activations, a baseline.
What is specific to one assignment (its target, its shapes, its pitfalls)
comes from `autograder.assignments`, as arguments.
"""
