"""The typed values of one row, in column order."""

from typing import Any

Values = tuple[Any, ...]
