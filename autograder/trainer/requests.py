"""A fit request, checked: the arrays and arguments of one `fit`, numbers where
numbers belong, compared with the grader's own training set. Anything else
is refused with a message that says what to write instead."""

import numpy as np

from autograder.errors import Refused
from autograder.sandboxed import protocol
from autograder.trainer.training_data import graders_images

FIT_ARGUMENTS = {"batch_size": int, "epochs": int, "initial_epoch": int, "steps_per_epoch": int,
                 "validation_split": float, "shuffle": bool}


class FitData:
    """The arrays and arguments of one fit, checked: numbers where numbers belong."""

    def __init__(self, arrays, arguments):
        self.x, self.y = arrays[0], arrays[1]
        self.validation = tuple(arrays[2:4]) if len(arrays) >= 4 else None
        self.batch_size = arguments.get("batch_size")
        self.epochs, self.initial_epoch = arguments.get("epochs", 1), arguments.get("initial_epoch", 0)
        self.steps_per_epoch = arguments.get("steps_per_epoch")
        self.validation_split = arguments.get("validation_split", 0.0)
        self.shuffle = arguments.get("shuffle", True)

    @classmethod
    def from_message(cls, arguments, arrays):
        if not isinstance(arguments, dict) or len(arrays) not in (2, 4) or min(np.ndim(a) for a in arrays) < 1:
            raise Refused("fit needs training images and labels as arrays")
        if arrays[1].dtype.kind == "f" and not np.all(np.isfinite(arrays[1])):
            raise Refused("the labels given to fit are not all finite numbers")
        checked = {}
        for name, kind in FIT_ARGUMENTS.items():
            value = arguments.get(name)
            if value is None:
                continue
            if isinstance(value, bool) != (kind is bool) or not isinstance(value, (int, float)):
                raise Refused(f"fit's {name} must be a number, not {value!r}"[:200])
            checked[name] = kind(value)
        if not 0 <= checked.get("validation_split", 0.0) < 1 or checked.get("batch_size", 1) < 1 \
                or checked.get("epochs", 1) < 0 or checked.get("steps_per_epoch", 1) < 1:
            raise Refused(f"fit's arguments are out of range: {checked}")
        if len(arrays[0]) != len(arrays[1]) or len(arrays[0]) == 0:
            raise Refused(f"fit got {len(arrays[0])} images and {len(arrays[1])} labels")
        return cls(arrays, checked)

    def arguments(self):
        return {"batch_size": self.batch_size, "epochs": self.epochs, "steps_per_epoch": self.steps_per_epoch,
                "validation_split": self.validation_split, "trained_per_epoch": self.trained_per_epoch()}

    def trained_per_epoch(self):
        """Images one epoch trains on: what `validation_split` and `steps_per_epoch` leave (as Keras counts)."""
        trained = int(len(self.x) * (1.0 - self.validation_split))
        if self.steps_per_epoch is not None:
            trained = min(trained, self.steps_per_epoch * (self.batch_size or 32))
        return trained

    def summary(self):
        """Shape, dtype and range of the images, to diagnose preprocessing."""
        return {"shape": list(self.x.shape), "dtype": str(self.x.dtype),
                "min": float(np.min(self.x)), "max": float(np.max(self.x))}

    def compare_with(self, trusted):
        """How the images and labels given to fit relate to the grader's training
        set (see `training_images`); {} when the assignment has none. The images
        found are trained on as the grader's own (see `graders_images`)."""
        if "x" not in trusted or "y" not in trusted:
            return {}
        found, self.x = graders_images(self.x, self.y, trusted["x"], trusted["y"])
        return found

    def train(self, model, relay):
        model.fit(self.x, self.y, batch_size=self.batch_size, epochs=self.epochs, initial_epoch=self.initial_epoch,
                  steps_per_epoch=self.steps_per_epoch, validation_split=self.validation_split,
                  validation_data=self.validation, shuffle=self.shuffle, callbacks=[relay], verbose=0)


def parsed(text, what):
    try:
        return protocol.loads(text)
    except protocol.ProtocolError as error:
        raise Refused(f"{what} cannot be read ({error})") from error


def first_line(error):
    return (str(error).splitlines() or [""])[0][:500]
