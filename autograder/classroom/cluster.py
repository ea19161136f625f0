"""The Dask cluster grading runs on: an existing one, or a local one made here.

With a scheduler address, tasks go to that cluster's workers (start them with
`dask worker ADDRESS --nthreads K --resources "GPU=K"` on a GPU machine, to run
K gradings at once on its card). Without one, a local cluster is made: one
single-threaded worker process per concurrent grading, each advertising one
GPU slot when this machine has a GPU.

Example:

    >>> from autograder.classroom.cluster import open_client
    >>> with open_client(workers=2, scheduler=None, jobs_per_gpu=2) as (client, resources):  # doctest: +SKIP
    ...     client.submit(sum, [1, 2], resources=resources).result()
    3
"""

import os
import shutil
import subprocess
from contextlib import contextmanager


def local_gpu_count():
    """NVIDIA GPUs on this machine, asked of nvidia-smi (no TensorFlow needed)."""
    if not shutil.which("nvidia-smi"):
        return 0
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return sum(1 for line in listing.stdout.splitlines() if line.startswith("GPU "))


def cluster_has_gpus(client):
    return any(worker.get("resources", {}).get("GPU") for worker in client.scheduler_info()["workers"].values())


@contextmanager
def open_client(workers, scheduler, jobs_per_gpu):
    """Yields (client, resources each grading task asks for)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client, ({"GPU": 1} if cluster_has_gpus(client) else {})
        return
    gpus = local_gpu_count()
    count = workers or (gpus * jobs_per_gpu if gpus else max(1, (os.cpu_count() or 2) // 2))
    with LocalCluster(n_workers=count, threads_per_worker=1, processes=True, memory_limit=0,
                      dashboard_address=None, resources={"GPU": 1} if gpus else None) as cluster, \
            Client(cluster) as client:
        yield client, ({"GPU": 1} if gpus else {})
