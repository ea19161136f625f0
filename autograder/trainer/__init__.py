"""The grader's trainer: trains what a student's run hands to `fit`, as the
grader, in a process where no student code runs.

`autograder.isolation` starts it beside the sandboxed run, joined to it by two
pipes (see `autograder.sandboxed.protocol`, the only thing of the sandboxed
side it imports). It loads each configuration in Keras' safe mode, refusing
any class that is not Keras' own, initialises the weights itself (seeded),
trains on the grader's own images, computes its own accuracy, and after each
epoch asks the student's callbacks, through the runner, whether to stop.
It runs on any Keras 3 backend (TensorFlow by default; JAX where no
TensorFlow is) and alone may use a GPU.

- `session`: the conversation with the runner, the record, the relay callback;
- `requests`: a fit's arrays and arguments, checked;
- `rebuild`: the model rebuilt and compiled, and the safety policy;
- `training_data`: the student's images recognised as the grader's;
- `device`: GPU memory caps and the doctor's probe.
"""
