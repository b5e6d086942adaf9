"""A batch job across a simulated two-node Ray cluster (``ray.cluster_utils.Cluster``)."""

from __future__ import annotations

import pytest

from oculi.batch import run_batch
from tests.batch.conftest import make_images

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]  # a second cluster: about 10 s


@pytest.fixture(scope="module")
def two_nodes(_local_ray):
    ray = _local_ray
    cluster_utils = pytest.importorskip("ray.cluster_utils")
    if ray.is_initialized():
        ray.shutdown()
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={
        "num_cpus": 2, "include_dashboard": False})
    cluster.add_node(num_cpus=2)
    ray.init(address=cluster.address, log_to_driver=False)
    cluster.wait_for_nodes()
    yield ray
    ray.shutdown()
    cluster.shutdown()


def test_batch_job_runs_on_both_nodes(two_nodes, tmp_path):
    nodes = {n["NodeID"] for n in two_nodes.nodes() if n["Alive"]}
    assert len(nodes) == 2
    src = make_images(tmp_path / "in", 12, bad=False)
    # 4 CPUs: 3 one-CPU actors (one CPU kept free), so the pool spans both two-CPU nodes
    report = run_batch("convert", src, tmp_path / "out", batch_size=1)
    assert report.workers == 3 and report.count("done") == 12
    assert {r["node"] for r in report.rows} == nodes
