"""Signals any analyzer can use: compose files, Procfiles, ``.env.example``, version files.

Each module parses one kind of file into small typed records; none of them decides
what a component is — analyzers and the pipeline do.
"""
