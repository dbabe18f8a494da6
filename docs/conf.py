"""Sphinx configuration: myst-nb renders the stored notebooks, autodoc reads the docstrings.

Build: ``sphinx-build -W -b html docs docs/_build/html`` (warnings are errors). The notebooks
are not executed here (``nb_execution_mode = "off"``): the pages show the outputs stored in
``notebooks/*.ipynb``, which ``pytest --nbval`` checks. ``docs/notebooks`` is a symbolic link
to the repository's ``notebooks/`` directory, so each notebook has one copy.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, if not installed

import symrules

project = "symrules"
author = "the symrules developers"
copyright = "2026, the symrules developers"
release = symrules.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# Notebooks: render what is stored, never execute while building.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]

# numpydoc-style docstrings through napoleon.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True

html_theme = "sphinx_book_theme"
html_title = "symrules"
html_theme_options = {"show_toc_level": 2}
