"""Exploring gradients: side-by-side comparisons, the Jupyter widget, the command line.

:mod:`~symrules.explore.compare` computes a :class:`~symrules.explore.comparison.Comparison`
(:mod:`~symrules.explore.comparison` renders it); :mod:`~symrules.explore.rule_specs` reads
rule names such as ``"gauss-legendre:50"``; :mod:`~symrules.explore.widgets` is the
``GradientExplorer`` (public path ``symrules.widgets``, which needs the ``jupyter`` extra) and
:mod:`~symrules.explore.plots` its figures; :mod:`~symrules.explore.cli` is the ``symrules``
command. Nothing in the package imports this layer; ``import symrules`` imports only
``compare`` and ``comparison`` from it.
"""
