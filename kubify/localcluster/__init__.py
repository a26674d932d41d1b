"""A real Kubernetes control plane as local processes, for tests and ``--runtime local``.

See docs/local-cluster.md; the binaries come from scripts/control-plane-binaries.
"""

from kubify.localcluster.binaries import Binaries, BinariesNotFound, find_binaries
from kubify.localcluster.cluster import ClusterError, LocalCluster, NodeSpec

__all__ = ["Binaries", "BinariesNotFound", "ClusterError", "LocalCluster", "NodeSpec", "find_binaries"]
