"""The Python analyzer (pip, uv, Poetry, PDM, pipenv, conda; Django, FastAPI, Flask, ...); see :mod:`.analyzer`."""

from kubify.analyzers.python.analyzer import ANALYZER, PythonAnalyzer

__all__ = ["ANALYZER", "PythonAnalyzer"]
