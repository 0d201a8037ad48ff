"""The importer the SIGKILL test runs (and kills) in a subprocess.

    python -m tests.store.kill_import DB [--resume | --all]

Imports ``SYMBOLS`` symbols of ``BARS`` daily bars each into the SQLite store at ``DB``, one
transaction per symbol holding its bars and its checkpoint (as a sync does). Prints ``ready``
once the store is open and ``ok I`` after each committed symbol. ``--resume`` skips symbols
whose checkpoint says they are complete; ``--all`` imports everything again (a re-import of the
same payload).
"""

from __future__ import annotations

import sys
from functools import cache

from drummond_desktop.store import CheckpointUpdate, open_market_store
from engine.bars import Bars
from tests.store.factories import make_bars

SYMBOLS = 200
BARS = 5_000  # 200 x 5,000 = 1,000,000 bars; ~14 yearly chunks per symbol


def ticker(i: int) -> str:
    return f"S{i:03d}.US"


@cache
def payload(i: int) -> Bars:
    return make_bars(BARS, start=946_684_800, seed=1_000 + i)  # from 2000-01-01


def main(argv: list[str]) -> int:
    db, mode = argv[0], (argv[1] if len(argv) > 1 else "")
    with open_market_store(f"sqlite:///{db}") as store:
        print("ready", flush=True)
        for i in range(SYMBOLS):
            bars = payload(i)
            if mode == "--resume":
                cp = store.checkpoints.get(ticker(i), "1d")
                if cp is not None and cp.last_ts == int(bars.ts[-1]):
                    continue
            store.bars.upsert(ticker(i), "1d", bars,
                              checkpoint=CheckpointUpdate(last_full_fetch=1))
            print(f"ok {i}", flush=True)  # lets the test aim its kill into the import
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
