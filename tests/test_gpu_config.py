"""The per-run GPU memory limit: configured once, carried to the trainer, applied there before anything allocates."""

import json

from traitlets.config import Config

from autograder.isolation.run import RunInIsolation
from autograder.sandboxed import protocol
from autograder.trainer import device


class FakeTfConfig:
    """What limit_tensorflow_gpus uses of tf.config, recording the logical devices asked for."""

    class LogicalDeviceConfiguration:
        def __init__(self, memory_limit):
            self.memory_limit = memory_limit

    def __init__(self, gpus):
        self.gpus, self.configured = gpus, {}

    def list_physical_devices(self, kind):
        return self.gpus if kind == "GPU" else []

    def set_logical_device_configuration(self, device, logical):
        self.configured[device] = [config.memory_limit for config in logical]


def test_the_limit_crosses_to_the_trainer_in_its_job():
    config = Config()
    config.RunInIsolation.gpu_memory_limit = 10 * 2**30
    job = RunInIsolation(config=config)._trainer_job()
    # As trainer_process writes trainer.json and the trainer reads it back.
    assert protocol.TrainerJob.from_json(json.loads(json.dumps(job.to_json()))).gpu_memory_limit == 10 * 2**30
    assert RunInIsolation()._trainer_job().gpu_memory_limit == 0


def test_tensorflow_gets_one_logical_device_of_the_limit_per_gpu():
    fake = FakeTfConfig(["GPU:0", "GPU:1"])
    device.limit_tensorflow_gpus(fake, 10 * 2**30 + 12345)
    assert fake.configured == {"GPU:0": [10240], "GPU:1": [10240]}  # whole MiB


def test_jax_gets_the_fraction_of_the_card_and_no_preallocation(monkeypatch):
    monkeypatch.setattr(device, "gpu_memory_total", lambda: 80 * 2**30)
    environ = {"XLA_PYTHON_CLIENT_MEM_FRACTION": "0.9"}
    device.limit_gpu_memory(10 * 2**30, backend="jax", environ=environ)
    assert environ == {"XLA_CLIENT_MEM_FRACTION": "0.1250", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    assert device.jax_memory_environment(100 * 2**30, 80 * 2**30)["XLA_CLIENT_MEM_FRACTION"] == "1.0000"
    assert device.jax_memory_environment(2**30, None) == {}  # no card: nothing to share


def test_no_limit_changes_nothing(monkeypatch):
    monkeypatch.setattr(device, "gpu_memory_total", lambda: 80 * 2**30)
    environ = {}
    device.limit_gpu_memory(0, backend="jax", environ=environ)
    assert environ == {}
