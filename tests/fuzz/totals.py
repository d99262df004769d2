"""Sum the tallies ``make fuzz`` recorded (JSON lines): requests and errors per database
and role, and in all. ``python tests/fuzz/totals.py out/fuzz.jsonl``."""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    with open(path) as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    keys = ("requests", "server_errors", "failed_checks", "engine_errors")
    for row in rows:
        print(f"{row['db']:<11} {row['role']:<16} " + "  ".join(f"{k} {row[k]}" for k in keys))
    total = {k: sum(r[k] for r in rows) for k in keys}
    print("total       " + "  ".join(f"{k} {v}" for k, v in total.items()))
    return 0 if total["server_errors"] == total["failed_checks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
