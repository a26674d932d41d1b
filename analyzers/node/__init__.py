"""The Node.js analyzer (package.json, workspaces, frameworks, source scan); see :mod:`.analyzer`."""

from kubify.analyzers.node.analyzer import NodeAnalyzer

ANALYZER = NodeAnalyzer()

__all__ = ["ANALYZER", "NodeAnalyzer"]
