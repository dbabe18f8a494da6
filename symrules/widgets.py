"""Public path of :mod:`symrules.explore.widgets` (see there); needs the ``jupyter`` extra."""

from .explore.widgets import GradientExplorer

__all__ = ["GradientExplorer"]
