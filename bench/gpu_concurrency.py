"""GPU benchmark: the grader's trainer running K gradings of the reference at once on one card.

The GPU machines have no TensorFlow, so the student's side of a grading (the
sandbox, the notebook, which import TensorFlow) cannot run there. What the
card does in a grading is the trainer's work, and the trainer runs on any
Keras 3 backend. So this replays the reference's training job:

  capture   (here, with TensorFlow) runs the reference notebook's cells and
            keeps what its `fit` hands the trainer, exactly as the sandboxed
            runner sends it (model and compile configuration, fit arguments;
            the arrays as a recipe from MNIST, checked to reproduce them
            bit for bit), in bench/reference_fit.json;
  replay    (anywhere, TensorFlow or JAX) starts K trainers at once, each as a
            grading starts it (`TrainerProcess`: the trainer's environment, a
            run's cgroup and limits, `gpu_memory_limit`), sends each the
            captured fit request over the real protocol and answers each epoch
            as the reference's callback does (stop at its target accuracy).

Per K it reports seconds per epoch, submissions per minute (K / wall time),
the epochs, whether all reached the target, and the card's peak memory
(nvidia-smi), each row naming its Keras backend. bench/gpu_grading.sh runs it.

    python bench/gpu_concurrency.py --capture                       # once, with TensorFlow
    KERAS_BACKEND=jax python bench/gpu_concurrency.py --data mnist.npz --concurrency 1 2 4 8 --output bench/gpu.md
"""

import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.sandboxed import protocol  # noqa: E402
from autograder.sandboxed.protocol import Message  # noqa: E402

JOB_FILE = os.path.join(ROOT, "bench", "reference_fit.json")
SOLUTION = os.path.join(ROOT, "solutions", "mnist_conv.ipynb")
PIXEL_SCALE = 255.0  # the reference's preprocessing: x_train.reshape(-1, 28, 28, 1) / 255.0


class Captured(Exception):
    """Raised by the capturing fit: (header, x, y)."""


def capture(notebook, data, output):
    """Runs the notebook's cells and graded function as the sandboxed runner does, up to its first fit."""
    import keras
    import numpy as np

    from autograder.assignments import load_spec
    from autograder.grading.load_notebook import load_submission
    from autograder.sandboxed import cells, remote_fit

    submission = load_submission(notebook)
    spec = load_spec(submission.assignment)
    os.environ.update(MNIST_PATH=data, NBGRADER_EXECUTION="autograde")
    remote_fit.install_compile_hook(keras)
    signature = inspect.signature(keras.Model.fit)

    def capturing_fit(model, *args, **kwargs):
        arguments = signature.bind(model, *args, **kwargs).arguments
        x, y, _, batch_size, steps = remote_fit.training_arrays(arguments, 2**40)
        raise Captured(remote_fit.fit_request(model, arguments, batch_size, steps), x, y)

    keras.Model.fit = capturing_fit
    namespace = {"__name__": "__main__", "get_ipython": cells.NoShell}
    for index, source in enumerate(submission.cells):
        exec(compile(cells.python_source(source), f"<cell {index + 1}>", "exec"), namespace)
    try:
        namespace[spec.entry_point]()
        raise SystemExit("the reference never called fit")
    except Captured as fit:
        header, x, y = fit.args
    with np.load(data) as arrays:
        x_train, y_train = arrays["x_train"], arrays["y_train"]
    if not (np.array_equal(x, training_images(x_train, x.shape, str(x.dtype))) and np.array_equal(y, y_train)):
        raise SystemExit("the reference's arrays are not MNIST / 255: update training_images()")
    job = {"notebook": os.path.relpath(notebook, ROOT), "header": header,
           "x": {"shape": list(x.shape), "dtype": str(x.dtype)},
           "callback": {"metric": "accuracy", "target": namespace["TARGET_ACCURACY"],
                        "message": namespace["STOP_MESSAGE"]}}
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(job, handle, indent=1)
    print(f"captured the fit of {job['notebook']} in {output}")


def training_images(x_train, shape, dtype):
    """The images the reference hands to fit, made from MNIST's."""
    return (x_train[:shape[0]].reshape((-1,) + tuple(shape[1:])) / PIXEL_SCALE).astype(dtype)


def replay(job, x_train, y_train, images, epochs, folder, runs):
    """One grading's training through the real trainer, with `runs`' (a RunInIsolation) limits;
    {"wall", "epochs", "epoch_s", "accuracy", "reached"}."""
    from autograder.isolation.limits import RunLimiter
    from autograder.isolation.trainer_process import TrainerProcess

    header = json.loads(json.dumps(job["header"]))
    header["args"]["epochs"] = epochs or header["args"]["epochs"]
    x = training_images(x_train[:images], [images] + job["x"]["shape"][1:], job["x"]["dtype"])
    y = y_train[:images]
    started = time.perf_counter()
    from autograder.assignments import load_spec

    limits = runs.limits_for("mnist_conv", load_spec("mnist_conv").profile("full"))
    limiter = RunLimiter(limits, f"autograder-{os.getpid()}-bench-{os.path.basename(folder)}")
    trainer = TrainerProcess(folder, {"x": x_train[:images], "y": y}, runs._trainer_job(), limiter)
    outgoing, incoming = (os.fdopen(os.dup(fd), mode) for fd, mode in zip(trainer.runner_fds, ("wb", "rb")))
    trainer.release_runner_fds()
    try:
        answer_epochs(job["callback"], header, x, y, outgoing, incoming)
    finally:
        outgoing.close()
        incoming.close()
        failure = trainer.close()
        limiter.close()
    if failure:
        raise SystemExit(failure)
    return summary(folder, time.perf_counter() - started, job["callback"]["target"])


def answer_epochs(callback, header, x, y, outgoing, incoming):
    """The runner's side: the fit request, then each epoch answered as the reference's callback answers."""
    protocol.send(outgoing, Message.FIT, header, [x, y])
    while True:
        kind, message, _ = protocol.receive(incoming, protocol.FrameLimits())
        if kind == Message.EPOCH_BEGIN:
            protocol.send(outgoing, Message.REPLY, {"stop": False, "printed": ""})
        elif kind == Message.EPOCH_END:
            stop = message["logs"].get(callback["metric"], 0) >= callback["target"]
            protocol.send(outgoing, Message.REPLY, {"stop": stop, "printed": callback["message"] if stop else ""})
        elif kind == Message.FIT_DONE:
            protocol.send(outgoing, Message.TRAIN_END, {})
            return
        else:
            raise SystemExit(f"the trainer answered {kind}: {message}")


def summary(folder, wall, target):
    with open(os.path.join(folder, protocol.TRAINING_FILE), encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    fit = next(record for record in records if record["record"] == protocol.Record.FIT)
    epochs = [record for record in records if record["record"] == protocol.Record.EPOCH]
    return {"wall": wall, "epochs": len(epochs), "epoch_s": (epochs[-1]["seconds"] - fit["seconds"]) / len(epochs),
            "accuracy": epochs[-1]["accuracy"], "reached": epochs[-1]["accuracy"] >= target}


class GpuMemoryWatch(threading.Thread):
    """Peak memory used on the card (MiB, all processes), polled from nvidia-smi; None without one."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = None, shutil.which("nvidia-smi") is not None
        self.start()

    def run(self):
        while self.running:
            query = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                   capture_output=True, text=True)
            used = sum(int(value) for value in query.stdout.split() if value.isdigit())
            self.peak = max(self.peak or 0, used)
            time.sleep(0.2)

    def stop(self):
        self.running = False
        return self.peak


def run_concurrently(count, job, data, images, epochs, runs):
    import numpy as np

    with np.load(data) as arrays:
        x_train, y_train = arrays["x_train"], arrays["y_train"]
    results, errors = [None] * count, []

    def one(index, folder):
        try:
            results[index] = replay(job, x_train, y_train, images, epochs, os.path.join(folder, f"trainer-{index}"),
                                    runs)
        except BaseException as error:  # reported below, after the others are done
            errors.append(error)

    with tempfile.TemporaryDirectory(prefix="gpu-bench-") as folder:
        watch, started = GpuMemoryWatch(), time.perf_counter()
        threads = [threading.Thread(target=one, args=(index, folder)) for index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall, peak = time.perf_counter() - started, watch.stop()
    if errors:
        raise SystemExit(f"a replayed grading failed: {errors[0]}")
    return {"count": count, "wall": wall, "per_min": count / wall * 60, "peak": peak,
            "epoch_s": sum(r["epoch_s"] for r in results) / count, "epochs": sorted({r["epochs"] for r in results}),
            "reached": sum(r["reached"] for r in results)}


def device_name():
    query = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                           text=True) if shutil.which("nvidia-smi") else None
    return ", ".join(query.stdout.split("\n")).strip(", ") if query and query.returncode == 0 else "no GPU (CPU only)"


def table(rows, job, images, backend, keras_version, limit):
    lines = [f"Card: {device_name()}. Keras {keras_version}; the trainer side of a grading of {job['notebook']} "
             f"(replayed job, {images:,} training images, the reference's callback: stop at "
             f"{job['callback']['target']}); gpu_memory_limit {limit or 'none'}.", "",
             "| backend | gradings at once (K) | wall s | submissions/min | s per epoch (mean) | epochs | "
             "reached target | peak GPU MiB (card) |",
             "|---|---:|---:|---:|---:|---|---:|---:|"]
    lines += [f"| {backend} | {r['count']} | {r['wall']:.1f} | {r['per_min']:.2f} | {r['epoch_s']:.2f} | "
              f"{r['epochs']} | {r['reached']}/{r['count']} | {r['peak'] if r['peak'] is not None else 'no GPU'} |"
              for r in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", action="store_true", help=f"capture the reference's fit into {JOB_FILE}")
    parser.add_argument("--data", default=os.environ.get("AUTOGRADER_MNIST"), help="mnist.npz (Keras layout)")
    parser.add_argument("--images", type=int, default=60000, help="training images per grading (60000: full)")
    parser.add_argument("--epochs", type=int, help="epochs asked of fit (default: the reference's); for dry runs")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--gpu-memory-limit", type=int, default=0,
                        help="c.RunInIsolation.gpu_memory_limit of each grading (bytes; 0: none)")
    parser.add_argument("--output", help="also write the table to this Markdown file")
    args = parser.parse_args()
    if not args.data:
        parser.error("--data (or $AUTOGRADER_MNIST) is needed")
    if args.capture:
        return capture(SOLUTION, args.data, JOB_FILE)
    import keras

    from autograder.isolation.run import RunInIsolation

    with open(JOB_FILE, encoding="utf-8") as handle:
        job = json.load(handle)
    runs, rows = RunInIsolation(gpu_memory_limit=args.gpu_memory_limit), []
    for count in args.concurrency:
        rows.append(run_concurrently(count, job, args.data, args.images, args.epochs, runs))
        print(json.dumps(rows[-1]), flush=True)
    text = table(rows, job, args.images, keras.backend.backend(), keras.__version__, runs.gpu_memory_limit)
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
