"""The pinned versions of the control-plane binaries.

One place for both sides: ``scripts/control-plane-binaries`` reads these lines to know
what to build, and :mod:`kubify.localcluster.binaries` to know which cache directory to
look in. ``hack/kubebins/go.mod`` and ``hack/etcd/go.mod`` must require the same versions
(the script refuses to build when they drift).
"""

KUBERNETES = "v1.36.4"
ETCD = "v3.6.16"
KWOK = "v0.8.0"

CACHE_KEY = f"k8s-{KUBERNETES}-etcd-{ETCD}-kwok-{KWOK}"
