"""The trainer's device: the GPU memory cap a job sets, and the probe `doctor`
runs (one operation computed as the trainer computes)."""

import os
import subprocess

import keras


def limit_gpu_memory(limit, backend=None, environ=os.environ):
    """Caps the GPU memory this process takes at `limit` bytes (0: no cap); call it before anything is
    computed. TensorFlow: every GPU becomes one logical device of that size. JAX: XLA's allocator grows
    as needed up to that fraction of the card (it reads its environment when the backend starts)."""
    if not limit:
        return
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        limit_tensorflow_gpus(tf.config, limit)
    elif backend == "jax":
        environ.pop("XLA_PYTHON_CLIENT_MEM_FRACTION", None)  # the older name: XLA refuses both at once
        environ.update(jax_memory_environment(limit, gpu_memory_total()))


def limit_tensorflow_gpus(config, limit):
    """`config`: tf.config. Whole MiB, as TensorFlow counts them."""
    for gpu in config.list_physical_devices("GPU"):
        config.set_logical_device_configuration(
            gpu, [config.LogicalDeviceConfiguration(memory_limit=max(1, limit // 2**20))])


def jax_memory_environment(limit, total):
    """XLA's allocator settings for `limit` bytes of a card of `total` bytes ({} without a card)."""
    if not total:
        return {}
    return {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "XLA_CLIENT_MEM_FRACTION": f"{min(1.0, limit / total):.4f}"}


def gpu_memory_total():
    """Bytes of memory of the smallest NVIDIA card here, or None where nvidia-smi finds none."""
    try:
        found = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                               capture_output=True, text=True, timeout=30, check=True).stdout.split()
        return min(int(mib) for mib in found) * 2**20 if found else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def accelerator():
    """The name of the GPU Keras computes on in this process, or None (the CPU)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name) if gpus else None
    if backend == "jax":
        import jax

        gpus = [device for device in jax.devices() if device.platform == "gpu"]
        return gpus[0].device_kind if gpus else None
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return None


def probe(limit):
    """{"backend", "device", "result"}: one operation computed as the trainer computes, under `limit`."""
    limit_gpu_memory(limit)
    ones = keras.ops.ones((256, 256))
    result = float(keras.ops.convert_to_numpy(keras.ops.sum(keras.ops.matmul(ones, ones))))
    return {"backend": keras.backend.backend(), "device": accelerator(), "result": result}
