"""Golden gradings: the saved record of one real grading run, and its replay.

A golden folder (tests/goldens/GROUP/CASE/) holds what the evidence stage of
that run read, and nothing else:

    golden.json      the assignment, profile, the submission's graded cells and
                     answer source, the RunOutcome's fields (exit code, timed
                     out, why, log tail, ...), how its models were kept, and
                     the result the live grading gave (for people, and for
                     record.py's own check)
    out/             the student's side: events.jsonl, calls/ID.npz
    trainer/         the trainer's side: training.jsonl, model-N.keras

Large call results are kept once in tests/goldens/shared/ (see `share`).

`replay` builds the RunOutcome pointing at those folders and runs the real
`collect_evidence`, the spec's checks and `score` on it, with the profile's
trusted data loaded from the data set as the pipeline loads it: no sandbox, no
training. See README.md for when to regenerate them (`make goldens`).
"""

import functools
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat
import numpy as np

from autograder.assignments import load_spec
from autograder.evidence.collect import collect_evidence
from autograder.grading.load_notebook import Submission
from autograder.grading.pipeline import trusted_data
from autograder.grading.score import score
from autograder.isolation.run import RunOutcome
from autograder.sandboxed import protocol

GOLDENS = Path(__file__).resolve().parent
GOLDEN_FILE = "golden.json"
# The RunOutcome's fields a golden keeps; its folders are the golden's own.
RUN_FIELDS = ("exit_code", "timed_out", "stop_reason", "log_tail", "sandbox", "killed_reason", "grader_failure",
              "seconds_per_epoch")
WEIGHTS_FILE = "model.weights.h5"  # in a .keras archive, beside config.json and metadata.json
# How a golden keeps the trained models: "configuration" zeroes every weight (the layers, shapes and parameter
# counts stay exact: all that mnist_conv's checks and figures read), "weights" zeroes only the optimizer's state
# (fashion_cnn measures the model and computes its activations; loading never reads the optimizer).
MODEL_FORMS = ("configuration", "weights")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same run makes the same bytes
SHARED = GOLDENS / "shared"  # large call results, once each, by content (see `share`)
SHARE_ABOVE = 16 * 2**10  # bytes


def kept(side, relative):
    """Whether the evidence stage reads the file `relative` of a run's `side` ("out" or "trainer")."""
    if side == "trainer":
        return relative == protocol.TRAINING_FILE or re.fullmatch(r"model-\d+\.keras", relative) is not None
    return relative in (protocol.EVENTS_FILE, protocol.MODEL_FILE) or re.fullmatch(
        re.escape(protocol.CALLS_FOLDER) + r"/[^/]+\.npz", relative) is not None


def keep(run, folder, models):
    """Copies into `folder` (out/, trainer/) what the evidence stage reads of `run`, a RunOutcome whose
    folders still exist, compacted; `models` is one of MODEL_FORMS. Returns {path: bytes} of what the run
    left that is not read, hence not kept. Raises ValueError when a file the evidence stage reads is not a
    regular file (a FIFO, a link): such a run stays an end-to-end test."""
    assert models in MODEL_FORMS, models
    left_out = {}
    for side, source in (("out", run.out_dir), ("trainer", run.trainer_dir)):
        if source:
            left_out.update(copy_side(Path(source), Path(folder) / side, side, models))
    return left_out


def write(folder, *, assignment, profile, submission, run, result, models, left_out):
    """Writes golden.json into `folder`, where `keep` copied the run's files, moving its large call results
    into the shared store."""
    golden = {
        "shared": share(Path(folder)),
        "assignment": assignment, "profile": profile,
        "submission": {"name": os.path.basename(submission.name), "cells": submission.cells,
                       "answer_source": submission.answer_source},
        "run": {"trainer": bool(run.trainer_dir), **{name: getattr(run, name) for name in RUN_FIELDS}},
        "models": models,
        "not_kept": left_out,  # what the run left that the evidence stage does not read: bytes by path
        "recorded_result": result.to_json(),
    }
    text = json.dumps(golden, indent=1, sort_keys=True, allow_nan=False) + "\n"
    (Path(folder) / GOLDEN_FILE).write_text(text, encoding="utf-8")


def share(folder):
    """Moves the call results of `folder` larger than SHARE_ABOVE into SHARED, named by their content
    (conv_basics' results on the 512 x 512 ascent image: the same in most of its goldens); returns
    {path in the golden: file in SHARED}."""
    shared = {}
    for path in sorted((folder / "out" / protocol.CALLS_FOLDER).glob("*.npz")):
        if path.stat().st_size > SHARE_ABOVE:
            blob = hashlib.sha256(path.read_bytes()).hexdigest()[:32] + ".npz"
            SHARED.mkdir(exist_ok=True)
            if not (SHARED / blob).exists():
                shutil.copyfile(path, SHARED / blob)
            path.unlink()
            shared[path.relative_to(folder).as_posix()] = blob
    return shared


def copy_side(source, target, side, models):
    """Copies what the evidence stage reads of one side of a run, compacted; returns {path: bytes} left out."""
    left_out = {}
    for root, _, files in os.walk(source):
        for name in sorted(files):
            path = Path(root) / name
            relative = path.relative_to(source).as_posix()
            if not kept(side, relative):
                left_out[f"{side}/{relative}"] = path.lstat().st_size
                continue
            if path.is_symlink() or not path.is_file():
                raise ValueError(f"{side}/{relative} is not a regular file: keep this case end to end")
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            if relative.endswith(".keras"):
                data = compact_model(data, keep_weights=models == "weights" and side == "trainer")
            elif relative.endswith(".npz"):
                data = compressed_npz(data)
            destination.write_bytes(data)
    return left_out


def compact_model(data, keep_weights):
    """A .keras archive with the same configuration and the same weights file structure, deflated:
    every variable zeroed (the optimizer's always, the model's unless `keep_weights`). Bytes that
    are not a readable archive are kept as they are (the evidence stage says why it cannot read them)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return data
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as compacted:
        for name, content in members:
            if name == WEIGHTS_FILE:
                content = zeroed_weights(content, keep_weights)
            compacted.writestr(zipfile.ZipInfo(name, ZIP_DATE), content, compress_type=zipfile.ZIP_DEFLATED,
                               compresslevel=9)
    return output.getvalue()


def zeroed_weights(content, keep_weights):
    import h5py

    with tempfile.NamedTemporaryFile(suffix=".h5") as handle:
        handle.write(content)
        handle.flush()
        with h5py.File(handle.name, "r+") as weights:
            def zero(name, item):
                optimizer = name.split("/")[0] == "optimizer"
                if isinstance(item, h5py.Dataset) and item.shape and (optimizer or not keep_weights):
                    item[...] = 0
            weights.visititems(zero)
        return Path(handle.name).read_bytes()


def compressed_npz(data):
    """The same arrays (arr_0, arr_1, ...) in a compressed .npz, read back as the evidence stage reads them."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except (OSError, ValueError, KeyError):
        return data
    output = io.BytesIO()
    np.savez_compressed(output, **arrays)
    return output.getvalue()


def load(folder):
    """The golden.json of `folder`."""
    return json.loads((Path(folder) / GOLDEN_FILE).read_text(encoding="utf-8"))


@functools.cache
def _trusted(assignment, profile):
    spec = load_spec(assignment)
    chosen = spec.profile(profile)
    return trusted_data(spec, chosen, spec.dataset())


def replay(folder):
    """The GradeResult of the golden in `folder`: its saved run through the real evidence, checks and score.
    The data sets are found as the grader finds them ($AUTOGRADER_MNIST, ...)."""
    folder = Path(folder)
    golden = load(folder)
    if not golden["shared"]:
        return replay_run(golden, folder)
    with tempfile.TemporaryDirectory(prefix="golden-") as whole:  # the run's folders as it left them
        for side in ("out", "trainer"):
            if (folder / side).is_dir():
                shutil.copytree(folder / side, Path(whole) / side)
        for relative, blob in golden["shared"].items():
            (Path(whole) / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SHARED / blob, Path(whole) / relative)
        return replay_run(golden, Path(whole))


def replay_run(golden, folder):
    spec = load_spec(golden["assignment"])
    saved = golden["run"]
    run = RunOutcome(out_dir=str(folder / "out"), trainer_dir=str(folder / "trainer") if saved["trainer"] else None,
                     **{name: saved[name] for name in RUN_FIELDS})
    given = golden["submission"]
    submission = Submission(given["name"], nbformat.v4.new_notebook(), given["cells"], given["answer_source"])
    # A copy: nothing a check does to the dict reaches the next replay.
    evidence = collect_evidence(run, submission, dict(_trusted(golden["assignment"], golden["profile"])))
    return score(spec, evidence)


def as_json(result):
    """What `python -m autograder grade --json` prints for `result`, parsed back."""
    return json.loads(json.dumps(result.to_json(), allow_nan=False))


def verdict(result_json):
    """What a golden must reproduce exactly: status, score, epochs, accuracy, each check's verdict and
    message (numbers masked: a message may time the student's call against the reference's)."""
    def masked(text):
        return re.sub(r"\d[\d,]*(\.\d+)?(e-?\d+)?", "#", text)
    return {**{key: value for key, value in result_json.items() if key != "checks"},
            "checks": [(c["name"], c["passed"], c["points"], c["max_points"], masked(c["message"]))
                       for c in result_json["checks"]]}
