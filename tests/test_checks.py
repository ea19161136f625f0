"""Each check of mnist_conv on evidence built by hand: its pass, its failures
and their messages, in milliseconds (no sandbox, no training)."""

from collections import Counter

import pytest

from autograder.assignments import load_spec
from autograder.checks.training import data_problem
from autograder.evidence.collect import EpochRecord, Evidence, FitRecord
from autograder.evidence.inspect_model import ModelReport
from autograder.grading.score import score
from autograder.isolation.run import RunOutcome

SPEC = load_spec("mnist_conv")
CHECKS = {check.name: check for check in SPEC.checks}
MESSAGE = "Reached 99.8% accuracy so cancelling training!"
CURVE = [0.81, 0.93, 0.97, 0.985, 0.993, 0.997, 0.999]  # reaches 0.998 in epoch 7
HONEST_DATA = {"images": 3000, "found": 3000, "distinct": 3000, "wrong_labels": 0, "expected": 3000}


def trial(stopped_at=4, printed_at=(4,)):
    """The callbacks on mnist_conv's script, which first reaches the target at index 4."""
    return {"stopped_at": stopped_at, "printed": [MESSAGE if i in printed_at else "" for i in range(7)], "error": None}


def evidence(curve=CURVE, stop=None, printed=None, trials=None, data=None, layers=None, **run):
    """Evidence of one fit over `curve`: stopped (by the callbacks) at epoch index
    `stop` (default: the last), the message printed in epochs `printed` (default: there)."""
    stop = len(curve) - 1 if stop is None else stop
    printed = [stop] if printed is None else printed
    outcome = RunOutcome("", 0, False, "", "", "bwrap", **run)
    found = Evidence("", outcome, started=True, finished=True)
    found.fits = [FitRecord(0, {"shape": [3000, 28, 28, 1], "max": 1.0}, HONEST_DATA if data is None else data, 32)]
    found.fits[0].finished = True
    found.epochs = [EpochRecord(0, i, value, {"accuracy": value}, MESSAGE if i in printed else "", i == stop)
                    for i, value in enumerate(curve[:stop + 1])]
    found.callback_trials = {"accuracy": trial()} if trials is None else trials
    found.models = [ModelReport(layer_counts=Counter(layers or {"Conv2D": 1, "MaxPooling2D": 1, "Dense": 2}))]
    found.model = found.models[0]
    return found


def verdicts(found):
    return {name: check.evaluate(found) for name, check in CHECKS.items()}


def test_honest_training_passes_every_check():
    outcomes = verdicts(evidence())
    assert all(outcome.passed for outcome in outcomes.values()), {n: o.message for n, o in outcomes.items()}
    assert "reached 0.9990 in epoch 7" in outcomes["reaches_target"].message


def test_never_reaching_the_target_fails_the_training_checks_and_earns_nothing_for_being_short():
    outcomes = verdicts(evidence(curve=CURVE[:5]))
    assert not any(outcomes[name].passed for name in ("reaches_target", "within_epoch_limit", "stops_at_target",
                                                     "prints_stop_message"))
    assert "peaked at 0.9930" in outcomes["reaches_target"].message
    assert "only for training that reaches it" in outcomes["within_epoch_limit"].message


def test_more_epochs_than_the_limit_fail_the_limit_only_where_it_applies():
    curve = [0.9] * 20 + [0.999]
    outcomes = verdicts(evidence(curve=curve))
    assert outcomes["reaches_target"].passed and not outcomes["within_epoch_limit"].passed
    assert "ran 21 epochs" in outcomes["within_epoch_limit"].message


def test_a_callback_that_counts_epochs_stops_in_the_right_place_by_chance_and_fails():
    outcomes = verdicts(evidence(trials={"accuracy": trial(stopped_at=6, printed_at=(6,))}))
    assert not outcomes["stops_at_target"].passed and not outcomes["prints_stop_message"].passed
    assert "let epoch 5" in outcomes["stops_at_target"].message
    assert outcomes["reaches_target"].passed and outcomes["within_epoch_limit"].passed


def test_printing_the_message_in_every_epoch_fails_the_message_check_only():
    outcomes = verdicts(evidence(printed=list(range(7))))
    assert outcomes["stops_at_target"].passed and not outcomes["prints_stop_message"].passed
    assert "epochs [1, 2, 3, 4, 5, 6, 7]" in outcomes["prints_stop_message"].message


def test_a_message_printed_every_epoch_of_the_scripted_series_fails_too():
    outcomes = verdicts(evidence(trials={"accuracy": trial(printed_at=range(7))}))
    assert outcomes["stops_at_target"].passed and not outcomes["prints_stop_message"].passed


def test_training_that_goes_on_past_the_target_fails_the_stop():
    outcomes = verdicts(evidence(curve=CURVE + [0.9995], stop=7, printed=[7]))
    assert not outcomes["stops_at_target"].passed and "went on to epoch 8" in outcomes["stops_at_target"].message
    assert not outcomes["prints_stop_message"].passed


def test_epochs_running_out_is_not_a_stop():
    found = evidence()
    found.epochs[-1].stop = False
    outcomes = verdicts(found)
    assert not outcomes["stops_at_target"].passed and "ran out" in outcomes["stops_at_target"].message


def test_a_callback_that_raises_is_reported_as_a_crash_in_every_training_check():
    found = evidence(curve=CURVE[:1])
    found.fits[0].student_error = {"epoch": 0, "message": "TypeError: '>' not supported between 'NoneType' and 'float'"}
    found.epochs[0].stop = False
    for name, outcome in verdicts(found).items():
        if name not in ("single_conv2d", "single_maxpooling2d"):
            assert not outcome.passed and "your callback raised TypeError" in outcome.message
            assert "in epoch 1" in outcome.message


def test_the_trial_under_the_students_own_metric_name_is_the_one_judged():
    found = evidence(trials={"accuracy": trial(stopped_at=None, printed_at=()), "acc": trial()})
    for epoch in found.epochs:
        epoch.logs = {"acc": epoch.accuracy, "loss": 0.1}
    assert all(outcome.passed for outcome in verdicts(found).values())


@pytest.mark.parametrize("data, words", [
    ({**HONEST_DATA, "found": 2000}, "1,000 of the 3,000 images given to fit are not"),
    ({**HONEST_DATA, "wrong_labels": 3000}, "labels that are not theirs"),
    ({**HONEST_DATA, "images": 100, "found": 100, "distinct": 100}, "only 100 of the 3,000"),
])
def test_training_on_other_data_earns_no_training_points(data, words):
    outcomes = verdicts(evidence(data=data))
    assert words in data_problem(evidence(data=data).fits[0])
    assert not outcomes["reaches_target"].passed and words in outcomes["reaches_target"].message
    assert outcomes["single_conv2d"].passed


def test_a_validation_split_still_counts_every_image_as_trained_data():
    assert data_problem(FitRecord(0, {}, {**HONEST_DATA}, validation_split=0.2)) == ""


@pytest.mark.parametrize("layers, words", [
    ({"Conv2D": 1, "Conv3D": 1, "MaxPooling2D": 1}, "1 Conv2D, 1 Conv3D"),
    ({"DepthwiseConv2D": 1, "MaxPooling2D": 1}, "1 DepthwiseConv2D"),
    ({"Conv2D": 2, "MaxPooling2D": 1}, "2 Conv2D"),
    ({"MaxPooling2D": 1}, "no convolution layer"),
])
def test_every_convolution_counts(layers, words):
    outcome = CHECKS["single_conv2d"].evaluate(evidence(layers=layers))
    assert not outcome.passed and words in outcome.message and "a Conv2D" in outcome.message


def test_every_pooling_counts():
    outcome = CHECKS["single_maxpooling2d"].evaluate(evidence(layers={"Conv2D": 1, "MaxPooling2D": 1,
                                                                      "AveragePooling2D": 1}))
    assert not outcome.passed and "1 AveragePooling2D" in outcome.message


def test_every_trained_model_must_obey_the_layer_rule():
    found = evidence()
    found.models.insert(0, ModelReport(layer_counts=Counter({"Conv2D": 3, "MaxPooling2D": 1})))
    assert not CHECKS["single_conv2d"].evaluate(found).passed


def test_an_unreadable_accuracy_makes_strict_json():
    found = evidence()
    result = score(SPEC, found)
    result.final_accuracy = float("nan")
    result.details["training"]["accuracy"][0] = float("inf")
    import json

    json.dumps(result.to_json(), allow_nan=False)
    assert result.to_record()["final_accuracy"] is None


@pytest.mark.parametrize("fit, words", [
    (FitRecord(0, {}, {**HONEST_DATA, "images": 4710, "found": 4710}), "images were repeated"),
    (FitRecord(0, {}, HONEST_DATA, validation_split=0.995, trained_per_epoch=15), "each epoch trained on only 15"),
    (FitRecord(0, {}, HONEST_DATA, batch_size=1, trained_per_epoch=1), "steps_per_epoch too small"),
])
def test_training_on_a_few_or_repeated_images_is_refused(fit, words):
    assert words in data_problem(fit)


def test_a_crash_is_the_reason_the_report_and_the_service_show():
    from autograder.grading.score import failure_reason

    found = evidence(curve=CURVE[:1])
    found.fits[0].student_error = {"epoch": 0, "message": "TypeError: '>' not supported"}
    found.epochs[0].stop = False
    assert failure_reason(score(SPEC, found).to_record()) == "Your callback raised TypeError in epoch 1: '>' not supported"
    assert failure_reason(score(SPEC, evidence()).to_record()) == ""


def messages(found):
    return {check.name: check.message for check in score(SPEC, found).checks}


def stopped_outside_the_if():
    """The callback sets stop_training after its `if`: training stops after epoch 1, nothing printed."""
    return evidence(curve=CURVE[:1], printed=[], trials={"accuracy": trial(stopped_at=0, printed_at=())})


def test_a_hint_appears_once_on_the_check_it_explains_and_the_others_point_to_it():
    found = evidence(curve=CURVE[:1], printed=[])
    found.submission_source = "if logs.get('acc') > 0.998:"
    found.fits[0].student_error = {"epoch": 0, "message": "TypeError: '>' not supported between 'NoneType' and 'float'"}
    found.epochs[0].stop = False
    result = messages(found)
    hint = "logs.get('acc') returns None"
    assert [name for name, message in result.items() if hint in message] == ["stops_at_target"]
    for name in ("reaches_target", "within_epoch_limit", "prints_stop_message"):
        assert result[name].count("See the hint under `stops_at_target`.") == 1, result[name]
    assert "hint" not in result["single_conv2d"]  # a passing check unrelated to the mistake says nothing of it


def test_a_passing_check_gets_no_pointer_but_the_warned_habit_keeps_its_hint():
    found = evidence()
    found.fits[0].input["max"] = 255.0  # Keras forgave unscaled pixels: every check passes
    result = messages(found)
    assert "scale them to [0, 1]" in result["reaches_target"]
    assert not any("See the hint" in message or "scale them" in message
                   for name, message in result.items() if name != "reaches_target")


def test_standardised_pixels_are_scaled_pixels_for_the_checks_the_hints_and_the_self_check():
    found = evidence()
    found.fits[0].input.update({"min": -0.42, "max": 2.82})  # (x - mean) / std, per set or per image
    assert not any("scale them" in message for message in messages(found).values())
    self_check = {check.name: check for check in SPEC.self_checks}["input_shape"].evaluate(found)
    assert self_check.passed and "scaled (up to 2.82)" in self_check.message
    found.fits[0].input.update({"min": 0.0, "max": 255.0})
    assert not {check.name: check for check in SPEC.self_checks}["input_shape"].evaluate(found).passed


def test_stop_training_outside_the_if_is_explained_where_it_stops_not_where_it_prints():
    result = messages(stopped_outside_the_if())
    assert "must sit inside the `if`" in result["stops_at_target"]
    assert "stopped training in epoch 1, before any epoch reached 0.998" in result["prints_stop_message"]
    assert "where you print" not in result["prints_stop_message"]
    assert "after 1 epoch at" in result["stops_at_target"]


def test_the_self_check_on_stop_training_outside_the_if_points_to_the_stop():
    found = stopped_outside_the_if()
    verdicts = {check.name: check.evaluate(found) for check in SPEC.self_checks}
    printed = verdicts["callback_prints"].message
    assert not verdicts["callback_prints"].passed
    assert "stopped training at epoch 1" in printed and "set stop_training inside the `if`" in printed
    assert "print it exactly" not in printed
    assert "only inside the `if`" in verdicts["callback_stops"].message


def test_the_self_check_on_a_callback_that_never_fires_points_to_its_condition():
    found = evidence(trials={"accuracy": trial(stopped_at=None, printed_at=())})
    verdict = next(check for check in SPEC.self_checks if check.name == "callback_prints").evaluate(found)
    assert not verdict.passed and "check the metric name your `if` reads" in verdict.message


def test_two_mistakes_explained_on_one_check_give_one_pointer_and_none_to_a_passing_check():
    from autograder.checks.pitfalls import Pitfall, hints_for

    both = [Pitfall(name, f"hint {name}", "stops_at_target", ("reaches_target", "within_epoch_limit"),
                    lambda evidence: True) for name in "ab"]
    assert hints_for(both, evidence(), {"reaches_target"}) == {
        "stops_at_target": ["hint a", "hint b"], "reaches_target": ["See the hint under `stops_at_target`."]}
