"""The contract every source adapter keeps.

An adapter is a pure function of one native payload (already parsed from JSON) to zero or more
canonical events. It never does I/O and never raises anything but :class:`AdapterError`, whose
``reason`` ends up in the dead-letter record. Raw identifiers (e-mail addresses, native ids)
are hashed here with the :class:`SubjectHasher` it is given and go no further.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lineage.domain.events import DataMovementEvent
from lineage.domain.subjects import SubjectHasher

Adapter = Callable[[Any, SubjectHasher], Sequence[DataMovementEvent]]
