"""Job-size classes by accelerators per job, one definition for every report (usage
reports' waits, the simulation report, sweeps): 1, 2-8, 9-64, 65-512 and 513+."""

from __future__ import annotations

SIZES: tuple[tuple[int, str], ...] = ((1, "1"), (8, "2-8"), (64, "9-64"), (512, "65-512"))
"""(largest accelerators in the class, label), smallest first; above the last: "513+"."""

LARGEST = f"{SIZES[-1][0] + 1}+"
LABELS: tuple[str, ...] = (*(name for _, name in SIZES), LARGEST)


def size_class(accelerators: int) -> str:
    for top, name in SIZES:
        if accelerators <= top:
            return name
    return LARGEST
