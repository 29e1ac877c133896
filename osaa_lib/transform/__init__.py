"""Transform: the SQLMesh project over the landed files, planned and applied per target and space,
and its tables published to the lake.

`plan_apply` brings a space's SQLMesh cache up to date, `publish` writes the published tables,
`etl` chains ingest, transform and publish under one lock. `project` binds the SQLMesh project to
the settings; `lineage` and `query` look at it without changing it.
"""

from osaa_lib.transform.publish import PublishedTable, PublishResult, publish
from osaa_lib.transform.run import EtlResult, TransformResult, etl, plan_apply
from osaa_lib.transform.state import locked, read_state, short, write_state

__all__ = [
    "EtlResult", "PublishResult", "PublishedTable", "TransformResult", "etl", "locked",
    "plan_apply", "publish", "read_state", "short", "write_state",
]
