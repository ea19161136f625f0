"""GPU benchmark: how many gradings one card sustains at once, and the class throughput.

For the GPU machine, which has no TensorFlow: the lesson's reference model and
stop-at-99.8% callback, written for Keras 3, run on the JAX or torch backend
(KERAS_BACKEND). For each concurrency K it starts K training jobs at once, as
K gradings sharing one card would, and measures the wall time, the jobs a
minute, the mean time of one job and the peak GPU memory (nvidia-smi). Results
say which card and which backend produced them.

    KERAS_BACKEND=jax python bench/gpu_concurrency.py --data mnist.npz --concurrency 1 2 4 8 --output gpu.md
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

TARGET, MAX_EPOCHS = 0.998, 20


def train_one(data, images):
    """One grading's training: the reference solution, the way students write it."""
    import keras
    import numpy as np

    with np.load(data) as arrays:
        x, y = arrays["x_train"][:images].reshape(-1, 28, 28, 1) / 255.0, arrays["y_train"][:images]

    class StopAtTarget(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (logs or {}).get("accuracy", 0) >= TARGET:
                print("Reached 99.8% accuracy so cancelling training!")
                self.model.stop_training = True

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(64, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(x, y, epochs=MAX_EPOCHS, callbacks=[StopAtTarget()], verbose=0)
    print(json.dumps({"epochs": len(history.epoch), "seconds": time.perf_counter() - started,
                      "accuracy": history.history["accuracy"][-1]}))


class GpuMemoryWatch(threading.Thread):
    """Peak memory used on the GPUs (MiB), polled from nvidia-smi; None without one."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = None, shutil.which("nvidia-smi") is not None
        self.start()

    def run(self):
        while self.running:
            query = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                   capture_output=True, text=True)
            used = sum(int(v) for v in query.stdout.split() if v.isdigit())
            self.peak = max(self.peak or 0, used)
            time.sleep(0.5)

    def stop(self):
        self.running = False
        return self.peak


def run_concurrently(count, data, images):
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    watch, started = GpuMemoryWatch(), time.perf_counter()
    jobs = [subprocess.Popen([sys.executable, __file__, "--job", "--data", data, "--images", str(images)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    results = []
    for job in jobs:
        out, err = job.communicate()
        if job.returncode != 0:
            raise SystemExit(f"a training job failed:\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - started
    return {"count": count, "wall": wall, "per_min": count / wall * 60, "peak": watch.stop(),
            "job_s": sum(r["seconds"] for r in results) / count,
            "epochs": sorted({r["epochs"] for r in results}), "reached": all(r["accuracy"] >= TARGET for r in results)}


def device_name():
    if not shutil.which("nvidia-smi"):
        return "no GPU (CPU only)"
    query = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True)
    return ", ".join(query.stdout.split("\n")).strip(", ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="mnist.npz (Keras layout)")
    parser.add_argument("--images", type=int, default=60000, help="training images per job (60000: the full profile)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--output", help="also write the table to this Markdown file")
    parser.add_argument("--job", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        return train_one(args.data, args.images)
    import keras

    rows = [run_concurrently(count, args.data, args.images) for count in args.concurrency]
    lines = [f"Card: {device_name()}; Keras {keras.__version__}, backend {keras.backend.backend()}; "
             f"{args.images} training images per job, target {TARGET}, at most {MAX_EPOCHS} epochs.", "",
             "| jobs at once | wall s | jobs/min | mean s per job | epochs | all reached | peak GPU MiB |",
             "|---:|---:|---:|---:|---|---|---:|"]
    lines += [f"| {r['count']} | {r['wall']:.1f} | {r['per_min']:.2f} | {r['job_s']:.1f} | {r['epochs']} | "
              f"{r['reached']} | {r['peak'] if r['peak'] is not None else 'n/a'} |" for r in rows]
    print("\n".join(lines))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
