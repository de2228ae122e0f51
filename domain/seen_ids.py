"""A compact set of the ids already read in one file or batch."""

from __future__ import annotations

_PAGE_BITS = 16  # 65,536 ids per page: 8 KiB of bits
_PAGE_MASK = (1 << _PAGE_BITS) - 1


class SeenIds:
    """Ids stored as bits in pages, so ten million dense ids take about 1.2 MiB."""

    def __init__(self) -> None:
        self._pages: dict[int, bytearray] = {}

    def add(self, value: int) -> bool:
        """Remember value; True if it was not seen before."""
        page = self._pages.get(value >> _PAGE_BITS)
        if page is None:
            page = self._pages[value >> _PAGE_BITS] = bytearray(1 << (_PAGE_BITS - 3))
        byte, bit = (value & _PAGE_MASK) >> 3, 1 << (value & 7)
        if page[byte] & bit:
            return False
        page[byte] |= bit
        return True
