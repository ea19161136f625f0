"""The model rebuilt from what the student's code described, and the safety
policy: only Keras' own classes (safe mode), functions given by reference
only where they are Keras' or TensorFlow's, no weights handed over in a
configuration, the weights initialised here, seeded; compiled with the
student's settings plus the grader's own accuracy."""

import keras
import numpy as np

from autograder.errors import Refused
from autograder.sandboxed.limits import MAX_CONFIG_NUMBERS, MAX_PARAMETERS
from autograder.trainer.config_tree import foreign_classes, longest_number_list
from autograder.trainer.requests import first_line, parsed

GRADER_ACCURACY = "grader_accuracy"  # the trainer's own metric, never shown to student code





def build_model(architecture, arrays, seed, own=()):
    """A new model from its Keras JSON configuration, in safe mode, weights seeded here;
    `own`: the functions given by reference that are Keras' (see keras_functions)."""
    config = parsed(architecture, "the model's configuration")
    if not isinstance(config, dict):
        raise Refused("the model's configuration is not a Keras model")
    config.pop("compile_config", None)  # compiled from the settings, checked, in compile_model
    keras_functions(config, own)
    if foreign := foreign_classes(config):
        raise Refused(f"it uses {', '.join(foreign)}, which are not Keras' own classes")
    if (numbers := longest_number_list(config)) > MAX_CONFIG_NUMBERS:
        raise Refused(f"its configuration carries a list of {numbers} numbers: weights cannot be handed to the "
                      "grader, which initialises them itself")
    keras.utils.set_random_seed(seed)
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        if not model.built:
            model.build((None,) + arrays[0].shape[1:])
    except Exception as error:  # whatever the configuration holds, it is refused, not run
        raise Refused(f"the model cannot be rebuilt from its configuration ({type(error).__name__}: "
                      f"{first_line(error)})") from error
    if not isinstance(model, keras.Model):
        raise Refused("the configuration is not a Keras model")
    if model.count_params() > MAX_PARAMETERS:
        raise Refused(f"it has {model.count_params():,} parameters, more than the {MAX_PARAMETERS:,} allowed")
    return model


def keras_functions(tree, own):
    """Replaces functions given by reference that the runner found to be Keras' or TensorFlow's
    (`own`: their names; `activation=tf.nn.softmax`, `loss=tf.keras.losses.sparse_categorical_crossentropy`,
    as the lesson's code writes them) by the Keras names they have. A function the student wrote
    stays, whatever its name, and is refused as foreign. Iterative: any depth."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for key, value in list(node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(value, dict) and value.get("class_name") == "function" and value.get("config") in own \
                    and keras_name(value["config"]):
                node[key] = keras_name(value["config"])
            elif isinstance(value, (dict, list)):
                stack.append(value)


def keras_name(name):
    """The name Keras has for the activation, loss or metric `name` (a TensorFlow op's `_v2` aside), or None."""
    name = name.removesuffix("_v2") if isinstance(name, str) else ""
    for get in (keras.activations.get, keras.losses.get, keras.metrics.get):
        try:
            if name and get(name) is not None:
                return name
        except (ValueError, TypeError):
            continue
    return None


def compile_model(model, settings, labels, own=()):
    """Compiles with the student's optimizer, loss and metrics (Keras' own only),
    plus the grader's accuracy."""
    config = parsed(settings, "the compile settings")
    if not isinstance(config, dict):
        raise Refused("the compile settings cannot be read")
    keras_functions(config, own)
    if foreign := foreign_classes(config):
        raise Refused(f"the compile settings use {', '.join(foreign)}, which are not Keras' own")
    try:
        metrics = [resolved(metric, keras.metrics.get) for metric in as_list(config.get("metrics") or [])]
        model.compile(optimizer=keras.optimizers.get(config.get("optimizer") or "rmsprop"),
                      loss=resolved(config.get("loss"), keras.losses.get), metrics=metrics + [grader_metric(labels)])
    except Exception as error:
        raise Refused(f"the compile settings cannot be used ({type(error).__name__}: {first_line(error)})") from error


def grader_metric(labels):
    """Accuracy for labels given as class numbers or as one-hot rows."""
    if np.ndim(labels) == 2 and np.shape(labels)[1] > 1:
        return keras.metrics.CategoricalAccuracy(name=GRADER_ACCURACY)
    return keras.metrics.SparseCategoricalAccuracy(name=GRADER_ACCURACY)


def resolved(identifier, get):
    """A name is left to compile() (which picks the right accuracy for the labels); a config is deserialised."""
    return identifier if isinstance(identifier, str) or identifier is None else get(identifier)


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]
