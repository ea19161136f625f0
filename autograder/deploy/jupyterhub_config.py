"""JupyterHub for the course, with the autograder as a managed service: the one-machine deployment.

    AUTOGRADER_MNIST=/data/mnist.npz jupyterhub -f autograder/deploy/jupyterhub_config.py

The hub starts `python -m autograder serve` in the course folder, with an API
token of its own, restarts it if it dies, and routes /services/autograder/ to
it. Students fetch and submit with nbgrader as usual (the exchange is
`c.Exchange.root` in the course's nbgrader_config.py, and in the students'
own); the service grades each submission as it arrives, on a local Dask
cluster unless `c.GradingService.scheduler` names one, and releases feedback
where `c.GradingPolicy` allows. Students see where they stand at
/services/autograder/ and through `autograder.service.status_client.fetch_status`.

$AUTOGRADER_COURSE (default: this repository) is the course folder,
$AUTOGRADER_SERVICE_PORT (default: 10101) the service's port on loopback.
Authentication and spawner are the site's own (the defaults: PAM users and
their own processes). The README's "Grading by itself in JupyterHub"
describes the large-course deployment: JupyterHub on Kubernetes, an exchange
on a shared volume, a Dask cluster with GPU workers.
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# The course folder: nbgrader_config.py, source/, release/, the gradebook, submitted/.
COURSE = os.environ.get("AUTOGRADER_COURSE") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVICE = "autograder"  # the name autograder.service.status_client asks the hub for
SERVICE_PORT = int(os.environ.get("AUTOGRADER_SERVICE_PORT", "10101"))

c.JupyterHub.services = [{
    "name": SERVICE,
    "url": f"http://127.0.0.1:{SERVICE_PORT}",  # where the proxy and the user servers reach it
    "command": [sys.executable, "-m", "autograder", "serve"],
    "cwd": COURSE,
    # the course's nbgrader_config.py reads these: where the data sets are, which profile
    "environment": {name: value for name, value in os.environ.items() if name.startswith("AUTOGRADER_")},
    "oauth_no_confirm": True,  # students open their status page without an "authorize" step
    "display": True,  # listed in the hub's Services menu
}]

# Students' servers: where their notebooks, and `python -m autograder check`, find MNIST.
if os.environ.get("AUTOGRADER_MNIST"):
    c.Spawner.environment = {"MNIST_PATH": os.environ["AUTOGRADER_MNIST"]}

# Every user may open the service (the status page, the status API) and look up its address,
# in the browser and with their server's token (what `fetch_status` uses).
SERVICE_SCOPES = [f"access:services!service={SERVICE}", f"read:services!service={SERVICE}"]
c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", *SERVICE_SCOPES]}]
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", *SERVICE_SCOPES]
