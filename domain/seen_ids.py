"""A compact set of the ids already read in one file or batch."""

from __future__ import annotations

_PAGE_BITS = 16  # 65,536 ids per page: 8 KiB of bits


class SeenIds:
    """Ids stored as bits in pages, so ten million dense ids take about 1.2 MiB."""

    def __init__(self) -> None:
        self._pages: dict[int, bytearray] = {}

    def add(self, value: int) -> bool:
        """Remember value; True if it was not seen before."""
        page_no, offset = value >> _PAGE_BITS, value & ((1 << _PAGE_BITS) - 1)
        page = self._pages.get(page_no)
        if page is None:
            page = self._pages[page_no] = bytearray(1 << (_PAGE_BITS - 3))
        byte, bit = offset >> 3, 1 << (offset & 7)
        if page[byte] & bit:
            return False
        page[byte] |= bit
        return True
