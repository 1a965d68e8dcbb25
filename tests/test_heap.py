"""release_freed: the heap pages a large piece of work freed go back to the system."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from enricher import heap

# A fresh process, so that what this test process allocated before does not blur the figures: it
# allocates 200 MiB in 64 KiB blocks (below glibc's mmap threshold: from the heap), keeps every other
# one (the freed half are holes that glibc does not trim by itself), and prints its resident memory
# after freeing and after release_freed().
_CHILD = textwrap.dedent(
    """
    from enricher.heap import release_freed

    def resident():
        return int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20

    blocks = [bytearray(b"x" * 65536) for _ in range(3200)]
    kept = blocks[1::2]
    del blocks
    freed = resident()
    released = release_freed()
    print(freed, resident(), released, len(kept))
    """
)


@pytest.mark.skipif(heap._malloc_trim() is None, reason="this C library has no malloc_trim")
def test_freed_heap_pages_go_back_to_the_system() -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
    freed, after, released, kept = out.stdout.split()
    assert released == "True" and kept == "1600"
    # 100 MiB of holes were resident after the free; most of them are gone after the release.
    assert int(freed) - int(after) >= 80, out.stdout


def test_it_is_a_no_op_where_the_c_library_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)
    assert heap.release_freed() is False
