"""Snapshot an authority's directory and policy for a workflow to keep."""

from __future__ import annotations

from temporalio import activity

from domain.activity_contracts import LOAD_AUTHORITY_SNAPSHOT, SnapshotRequest
from domain.directory import AuthoritySnapshot
from runtime.database import Database
from services.directory import snapshot_authority


class DirectoryActivities:
    def __init__(self, database: Database) -> None:
        self._database = database

    @activity.defn(name=LOAD_AUTHORITY_SNAPSHOT)
    async def load_authority_snapshot(self, request: SnapshotRequest) -> AuthoritySnapshot:
        async with self._database.reading() as session:
            return await snapshot_authority(request.authority_id, session=session)
