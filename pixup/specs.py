"""What providers and auth schemes declare about themselves, as plain data.

Generic code (config keys, credential resolution, login, status) is driven by these
declarations, so a provider's knowledge stays in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeySpec:
    """One config key: how its text is checked, what it is for, its environment variable."""

    name: str
    parse: Callable[[str], Any]
    help: str
    env: str | None = None
    default: Any = None
