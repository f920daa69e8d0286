"""The local multi-process cluster (scripts/cluster.py) for the suite: started once, stopped at the end; its folder
(logs, database) is kept when a test failed, or always with TASKPILOT_KEEP_CLUSTER=1."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from cluster import Cluster, ClusterError  # noqa: E402


@pytest.fixture(scope="session")
def cluster(request):
    try:
        running = Cluster(
            binary=os.environ.get("TASKPILOT_BIN"),
            env={"TASKPILOT_BCRYPT_COST": "4", "TASKPILOT_LOG_LEVEL": os.environ.get("TASKPILOT_LOG_LEVEL", "info")},
            inherit_env=False,
            say=lambda line: print(line, flush=True),
        )
        running.start()
    except ClusterError as error:
        pytest.fail(f"the cluster did not start: {error}", pytrace=False)
    yield running
    running.stop(keep_folder=request.session.testsfailed > 0 or os.environ.get("TASKPILOT_KEEP_CLUSTER") == "1")
