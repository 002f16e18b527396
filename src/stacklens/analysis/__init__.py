"""Backend-neutral debugging analysis: pure functions from normalized models to result models.

- `timeline`: when an issue started, in which release, whether it still happens (`build_timeline`)
- `suspects`: the commits whose changed files match the crash's in-app frames (`rank_suspects`)
- `cluster`: one bug or several, by crash signature (`cluster_events`)
- `models`: the result models (also the tools' structured content)
"""

from stacklens.analysis.cluster import cluster_events, normalize_message
from stacklens.analysis.models import (
    Clusters,
    EventGroup,
    ReleaseRow,
    SuspectCommit,
    Suspects,
    Timeline,
)
from stacklens.analysis.suspects import rank_suspects, stack_frames
from stacklens.analysis.timeline import build_timeline, release_order

__all__ = [
    "Clusters",
    "EventGroup",
    "ReleaseRow",
    "SuspectCommit",
    "Suspects",
    "Timeline",
    "build_timeline",
    "cluster_events",
    "normalize_message",
    "rank_suspects",
    "release_order",
    "stack_frames",
]
