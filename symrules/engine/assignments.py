"""Naming numpy's error when user code assigns a traced value into a plain array.

``out[i] = traced`` makes numpy take the traced value for a sequence (it can be indexed)
before it could ask for its value, and fail with "setting an array element with a sequence".
:data:`assignment_refused` wraps user code run on traced values and turns that error into a
:class:`~symrules.errors.TracingError` that says what happened and what to write instead.
"""

from __future__ import annotations

from typing import Any

from ..errors import TracingError

__all__ = ["assignment_refused"]


class _AssignmentRefused:
    """Names numpy's error for ``plain_array[i] = traced``: numpy takes the traced value for a
    sequence (it can be indexed) before it could ask for its value. A class, not a
    ``contextlib`` generator: it wraps every differentiated call, and costs less."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, err: Any, tb: Any) -> None:
        if kind is ValueError and "setting an array element with a sequence" in str(err):
            raise TracingError(
                "a traced value was assigned into an element of a plain numpy array "
                "(out[i] = traced), which would drop its derivative; build the array with "
                "np.stack, np.concatenate or np.where instead"
            ) from None


#: ``with assignment_refused:`` around user code run on traced values.
assignment_refused = _AssignmentRefused()
