"""Allocate memory in 10 MiB steps up to ALLOC_MB and report each step.

Every byte is written, so the kernel really has to provide the memory
(untouched allocations would not count against the limit).
"""

import os
import sys

STEP_MB = 10


def memory_limit() -> str:
    """The limit the kernel enforces for this container (cgroup v2 or v1)."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as handle:
                value = handle.read().strip()
        except OSError:
            continue
        return value if not value.isdigit() else f"{int(value) // (1024 * 1024)} MiB"
    return "unknown"


def main() -> int:
    target = int(os.environ.get("ALLOC_MB", "100"))
    print(f"hog: memory limit {memory_limit()}, allocating {target} MiB in {STEP_MB} MiB steps", flush=True)
    blocks = []
    while len(blocks) * STEP_MB < target:
        blocks.append(bytearray(b"\x01") * (STEP_MB * 1024 * 1024))
        print(f"hog: holding {len(blocks) * STEP_MB} MiB", flush=True)
    print(f"hog: done, all {target} MiB allocated", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
