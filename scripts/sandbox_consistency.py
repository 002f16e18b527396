"""Make the sandbox dataset agree with itself (issue 14, item 9), without recapturing anything: ids, titles
and stack traces stay as they are; only times, releases and environments of events move.

    .venv/bin/python scripts/sandbox_consistency.py   # rewrites src/stacklens/sandbox/data/dataset.json

make_sandbox_data.py applies the same pass before it writes. The rules, all offsets in seconds before load:
- an event of release R in environment E happens after R was deployed to E (else it moves to an environment
  R was deployed to in time, or to the release that was live in E then);
- an issue is first seen after its first release reached production (or its first deploy);
- an issue's oldest sampled event is its first event: at first seen, in its first release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "stacklens" / "sandbox" / "data" / "dataset.json"
HOUR = 3600
Json = dict[str, Any]


def _deploys(releases: list[Json]) -> dict[str, dict[str, float]]:
    """version → environment → offset of its (first) deploy there."""
    out: dict[str, dict[str, float]] = {}
    for r in releases:
        envs = out.setdefault(r["version"], {})
        for d in r.get("deploys") or []:
            envs[d["environment"]] = max(envs.get(d["environment"], 0.0), float(d["finishedOffset"]))
    return out


def _live(
    project: str, env: str, offset: float, releases: list[Json], deployed: dict[str, dict[str, float]]
) -> str | None:
    """The project's release most recently deployed to `env` at `offset` (None when none was yet)."""
    best: tuple[float, str] | None = None
    for r in releases:
        at = deployed[r["version"]].get(env)
        if project in r["projects"] and at is not None and at >= offset and (best is None or at < best[0]):
            best = (at, r["version"])
    return best[1] if best else None


def _place(event: Json, project: str, releases: list[Json], deployed: dict[str, dict[str, float]]) -> None:
    sdk, offset = event["sdk"], event["offset"]
    release, env = sdk.get("release"), sdk.get("environment")
    envs = deployed.get(release, {})
    if envs.get(env, -1) >= offset:
        return
    in_time = sorted((e for e, at in envs.items() if at >= offset), key=lambda e: e != "production")
    if in_time:
        sdk["environment"] = in_time[0]
        return
    live = _live(project, env, offset, releases, deployed)
    if live:
        sdk["release"] = live


def reconcile(dataset: Json) -> Json:
    releases, issues, events = dataset["releases"], dataset["issues"], dataset["events"]
    deployed = _deploys(releases)
    by_issue: dict[str, list[Json]] = {}
    for e in events:
        by_issue.setdefault(e["issue"], []).append(e)
    # An issue first seen before its first release was out: first seen just after that release's deploy
    # (an hour per issue apart, so the first-seen order of the issues stays what it was).
    clamped: dict[float, int] = {}
    for issue in sorted(issues, key=lambda i: -i["firstSeenOffset"]):
        envs = deployed.get(issue["firstRelease"] or "", {})
        out = envs.get("production", max(envs.values(), default=None))
        if out is not None and issue["firstSeenOffset"] > out:
            clamped[out] = clamped.get(out, 0) + 1
            issue["firstSeenOffset"] = int(out - clamped[out] * HOUR)
    for issue in issues:
        sample = sorted(by_issue.get(issue["id"], []), key=lambda e: e["offset"])  # newest first
        if len(sample) >= 2 and issue["firstRelease"]:
            first = sample[-1]  # the oldest sampled event is the issue's first event
            first["offset"] = issue["firstSeenOffset"]
            first["sdk"]["release"] = issue["firstRelease"]
            envs = deployed.get(issue["firstRelease"], {})
            if first["sdk"].get("environment") not in envs:
                first["sdk"]["environment"] = "production" if "production" in envs else next(iter(envs), None)
        for e in sample[:-1] if len(sample) >= 2 else sample:
            _place(e, issue["project"], releases, deployed)
        if sample:
            issue["lastRelease"] = sample[0]["sdk"].get("release") or issue["lastRelease"]
    return dataset


def main() -> None:
    dataset = reconcile(json.loads(OUT.read_text(encoding="utf-8")))
    text = json.dumps(dataset, indent=None, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"reconciled {OUT.name}: {len(dataset['issues'])} issues, {len(dataset['events'])} events")


if __name__ == "__main__":
    main()
