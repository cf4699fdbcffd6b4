"""Snapshot an authority's directory and policy for a workflow to keep."""

from __future__ import annotations

from temporalio import activity

from domain.activity_contracts import LOAD_AUTHORITY_SNAPSHOT, SnapshotRequest
from domain.directory import AuthoritySnapshot
from runtime.database import Database
from runtime.settings import Settings
from services.directory import snapshot_authority


class DirectoryActivities:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings

    @activity.defn(name=LOAD_AUTHORITY_SNAPSHOT)
    async def load_authority_snapshot(self, request: SnapshotRequest) -> AuthoritySnapshot:
        async with self._database.reading() as session:
            snapshot = await snapshot_authority(request.authority_id, session=session)
        channels = self._settings.channels_for(snapshot.code)
        return snapshot.model_copy(update={"channels": channels})
