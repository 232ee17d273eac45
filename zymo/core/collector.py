"""Pausing Python's cyclic garbage collector while tapes are recorded and consumed, across threads.

A tape holds no reference cycles, and recording allocates many small objects: collections
during it would only slow it down. ``gc.disable()`` is process-wide, so the pause is counted:
the first recording to start pauses the collector (if it was running), and the last to finish,
in whatever thread, resumes it.

Example:
    >>> import gc
    >>> from zymo.core.collector import pause, resume
    >>> pause()
    >>> gc.isenabled()
    False
    >>> resume()
"""

from __future__ import annotations

import gc
import threading

__all__ = ["pause", "resume", "pausing"]

_lock = threading.Lock()
_pausing = 0  # recordings in progress, in all threads
_resume_when_done = False  # whether the collector ran when the first of them started


def pause() -> None:
    """Count one more recording in progress; the first pauses the collector if it runs."""
    global _pausing, _resume_when_done
    with _lock:
        if _pausing == 0:
            _resume_when_done = gc.isenabled()
            if _resume_when_done:
                gc.disable()
        _pausing += 1


def resume() -> None:
    """Count one recording fewer; the last resumes the collector if the first paused it."""
    global _pausing
    with _lock:
        _pausing -= 1
        if _pausing == 0 and _resume_when_done:
            gc.enable()


def pausing() -> int:
    """How many recordings are in progress (for tests)."""
    return _pausing
