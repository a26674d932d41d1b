"""The Go analyzer (go.mod/go.work modules, main packages, their code); see :mod:`.analyzer`."""

from kubify.analyzers.go.analyzer import ANALYZER, GoAnalyzer

__all__ = ["ANALYZER", "GoAnalyzer"]
