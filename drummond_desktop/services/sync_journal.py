"""``SyncJournal``: remembers a sync job that did not finish, so running it again resumes.

A job is keyed by its request (symbols, interval, range). While it runs, the journal file holds
its start time; a symbol whose checkpoint was written ``ok`` after that start was completed by
this job (bars and checkpoint commit together), so a resumed run skips it without a request.
A finished job is removed. Jobs older than ``max_age`` are forgotten (their data is stale).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drummond_desktop.services.market_sync import SyncRequest
    from drummond_desktop.store import MarketStore


@dataclass(frozen=True)
class SyncJob:
    key: str
    started_at: float
    resumed: bool

    def completed(self, store: MarketStore, symbol: str, interval: str) -> bool:
        """True when this job already synced ``symbol`` (only possible for a resumed job)."""
        if not self.resumed:
            return False
        try:
            cp = store.checkpoints.get(symbol, interval)
        except ValueError:  # not a ticker the store accepts: let the sync report it
            return False
        return cp is not None and cp.status == "ok" and cp.updated_at >= int(self.started_at)


class SyncJournal:
    """Unfinished jobs in one small JSON file (written atomically)."""

    def __init__(self, path: Path, max_age: float = 86_400.0) -> None:
        self._path = path
        self._max_age = max_age

    @staticmethod
    def key(request: SyncRequest) -> str:
        text = json.dumps([sorted(request.symbols), request.interval, str(request.start),
                           str(request.end)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def begin(self, request: SyncRequest, now: float) -> SyncJob:
        jobs = self._read()
        key = self.key(request)
        started = jobs.get(key)
        if isinstance(started, int | float) and now - started < self._max_age:
            return SyncJob(key, float(started), resumed=True)
        jobs = {k: v for k, v in jobs.items() if now - float(v) < self._max_age}
        jobs[key] = now
        self._write(jobs)
        return SyncJob(key, now, resumed=False)

    def finish(self, job: SyncJob) -> None:
        jobs = self._read()
        if jobs.pop(job.key, None) is not None:
            self._write(jobs)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing or unreadable: no unfinished jobs
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, jobs: dict[str, Any]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".sync-jobs-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(jobs, f)
        os.replace(tmp, self._path)
