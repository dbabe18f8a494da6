"""Checking derivatives: finite differences, and rules tested against them.

:mod:`~symrules.checking.stencils` holds the finite-difference methods as objects,
:mod:`~symrules.checking.finite_differences` applies them to arrays, containers and the fields
of callables (the third way to get ``dI/dp``, and the oracle of the checks), and
:mod:`~symrules.checking.testing` checks rules and gradients against them, the function's own
fields included. Their public paths are ``symrules.finite_differences`` and
``symrules.testing``. This layer needs only the engine.
"""
