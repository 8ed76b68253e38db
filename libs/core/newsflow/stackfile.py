"""<data_dir>/stack.json: how commands in other terminals find a running `newsflow up`.

`newsflow up` writes it; push, search, status, tail, dlq, the API and the workers read it, so they need
no settings beside a local stack. A stack whose process is gone is treated as absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from newsflow.errors import NoStackError
from newsflow.settings import Settings


def stack_file(settings: Settings) -> Path:
    return settings.data_dir / "stack.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_stack(settings: Settings) -> dict[str, Any] | None:
    path = stack_file(settings)
    try:
        info = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("pid", 0))):
        return None
    return info


def resolve_redis_url(settings: Settings) -> str:
    if settings.redis_url:
        return settings.redis_url
    info = read_stack(settings)
    if info and info.get("redis_url"):
        return info["redis_url"]
    raise NoStackError(
        f"no Redis to talk to: start `newsflow up` (data dir {settings.data_dir}) or set NEWSFLOW_REDIS_URL"
    )


def with_stack_pipeline(settings: Settings) -> Settings:
    """The settings with the pipeline a running local stack declares (a stage added with NEWSFLOW_PIPELINE
    under `up` shows in status, trace and push beside it), unless this process names one itself."""
    if "NEWSFLOW_PIPELINE" in os.environ:
        return settings
    info = read_stack(settings)
    pipeline = info.get("pipeline") if info else None
    if not isinstance(pipeline, str) or pipeline == settings.pipeline:
        return settings
    return settings.model_copy(update={"pipeline": pipeline})
