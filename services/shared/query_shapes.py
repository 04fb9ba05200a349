"""Query shapes: what the services ask the database, and whether an index serves it.

Every query on a collection that grows with use must be served by an index that `agora migrate`
declares. MongoDB cannot be asked here (tests run on a stand-in), so this is proved from the
shapes themselves:

- **recording** — with `AGORA_QUERY_SHAPES_DIR` set, each process's MongoClient (made by
  `services.shared.mongo.shared_client`) gets a `ShapeRecorder`: pymongo command monitoring
  turns every find / aggregate / count / distinct / update / delete / findAndModify into a
  *shape* (service, collection, operation, filter fields with their operators, sort, limit) and
  every createIndexes into a declared index, appended once per distinct shape to
  `<dir>/<process>-<pid>.jsonl`. Values never reach the file.
- **checking** — `check(shapes, indexes)` applies the ESR rule (equality fields, then sort, then
  range) to each shape against the declared indexes plus `_id`, the way MongoDB's planner would:
  a shape none of whose indexes can bound the scan is a collection scan. Collections that stay
  small by construction are listed once, with their bound, in `BOUNDED_COLLECTIONS`.

Example::

    shapes, indexes = load(directory)             # what the test session recorded
    problems = check(shapes, indexes)             # [] when every query is served
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import monitoring

SHAPES_DIR_ENV = "AGORA_QUERY_SHAPES_DIR"
SHADOW_SUFFIX = "__replay"  # a replay writes shadow collections, indexed like the live ones

# Collections whose size does not grow with use: a scan of them costs a bounded amount of work.
# (service or "*" for every service, collection) -> the bound, and why. The one list of
# deliberate exceptions (docs/architecture.md, "Queries and indexes", repeats it).
BOUNDED_COLLECTIONS: dict[tuple[str, str], str] = {
    ("*", "outbox_published"): "the relay's journal of confirmed batches since it was last idle: "
                               "each idle pass folds every entry into the commits and deletes "
                               "it (a few batches of at most 500 ids)",
}

# Operators MongoDB answers with tight index bounds on the field they apply to.
EQUALITY_OPERATORS = frozenset({"$eq", "$in", "$all", "$elemMatch"})
RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})
READ_COMMANDS = ("find", "aggregate", "count", "distinct", "findAndModify", "findandmodify")


# -- recording ---------------------------------------------------------------------------------

def recorder_from_environment() -> list[monitoring.CommandListener]:
    """`[ShapeRecorder]` when AGORA_QUERY_SHAPES_DIR is set, else `[]` (MongoClient listeners)."""
    directory = os.environ.get(SHAPES_DIR_ENV)
    if not directory:
        return []
    return [ShapeRecorder(Path(directory))]


def process_label(argv: list[str] | None = None) -> str:
    """`agora-run-posts`, `agora-migrate`, `pytest`: which process wrote a shapes file."""
    argv = sys.argv if argv is None else argv
    program = Path(argv[0]).name if argv else "python"
    if program in ("agora", "cli.py", "-m") or program.endswith("cli.py"):
        words = ["agora", *argv[1:3]]
    else:
        words = [program.removesuffix(".py")]
    return re.sub(r"[^A-Za-z0-9_.]+", "-", "-".join(words)).strip("-") or "python"


class ShapeRecorder(monitoring.CommandListener):
    """Appends each distinct query shape and declared index this process issues to a file."""

    def __init__(self, directory: Path, label: str | None = None):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{label or process_label()}-{os.getpid()}.jsonl"
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        try:
            records = shapes_of(event.command_name, event.database_name, event.command)
        except Exception:
            return
        lines = []
        for record in records:
            line = json.dumps(record, sort_keys=True)
            if line not in self._seen:
                lines.append(line)
        if not lines:
            return
        with self._lock:
            fresh = [line for line in lines if line not in self._seen]
            self._seen.update(fresh)
            if fresh:
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write("".join(line + "\n" for line in fresh))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def service_of(database_name: str) -> str:
    """`<prefix>_<service>` -> service (prefixes may contain underscores, services do not)."""
    return database_name.rsplit("_", 1)[-1]


def collection_of(name: str) -> str:
    return name[: -len(SHADOW_SUFFIX)] if name.endswith(SHADOW_SUFFIX) else name


def shapes_of(command_name: str, database_name: str, command: Mapping[str, Any]) -> list[dict]:
    """The shapes (or declared indexes) of one database command; [] for anything else."""
    name = command_name.lower()
    base = {"service": service_of(database_name)}
    if name == "createindexes":
        collection = collection_of(command["createIndexes"])
        return [{**base, "collection": collection, "index": index.get("name"),
                 "key": [[k, _direction(v)] for k, v in index["key"].items()],
                 "unique": bool(index.get("unique")), "op": "createIndexes"}
                for index in command.get("indexes", [])]
    if name == "find":
        return [_query(base, "find", command["find"], command.get("filter"),
                       command.get("sort"), command.get("limit"))]
    if name == "findandmodify":
        return [_query(base, "findAndModify", command[next(iter(command))],
                       command.get("query"), command.get("sort"), 1)]
    if name == "count":
        return [_query(base, "count", command["count"], command.get("query"), None,
                       command.get("limit"))]
    if name == "distinct":
        return [_query(base, "distinct", command["distinct"], command.get("query"), None, None)]
    if name == "aggregate":
        pipeline = list(command.get("pipeline") or [])
        match = pipeline[0].get("$match") if pipeline and "$match" in pipeline[0] else None
        rest = pipeline[1:] if match is not None else pipeline
        sort = rest[0]["$sort"] if rest and "$sort" in rest[0] else None
        limit = next((stage["$limit"] for stage in rest if "$limit" in stage), None)
        if match is None and pipeline and any(s in pipeline[0] for s in ("$collStats",
                                                                          "$indexStats")):
            return []
        return [_query(base, "aggregate", command["aggregate"], match, sort, limit)]
    if name == "update":
        return [_query(base, "update", command["update"], update.get("q"), None,
                       None if update.get("multi") else 1)
                for update in command.get("updates", [])]
    if name == "delete":
        return [_query(base, "delete", command["delete"], delete.get("q"), None,
                       delete.get("limit") or None)
                for delete in command.get("deletes", [])]
    return []


def _query(base: dict, op: str, collection: Any, filter_: Any, sort: Any, limit: Any) -> dict:
    return {**base, "collection": collection_of(str(collection)), "op": op,
            "filter": filter_shape(filter_ or {}),
            "sort": [[k, _direction(v)] for k, v in (sort or {}).items()],
            "limit": int(limit) if isinstance(limit, int) and limit > 0 else None}


def filter_shape(filter_: Mapping[str, Any]) -> dict:
    """{field: [operators]} with `$eq` for a plain value; `$and`/`$or`/`$nor` keep sub-shapes."""
    shape: dict[str, Any] = {}
    for key, value in filter_.items():
        if key in ("$and", "$or", "$nor"):
            shape[key] = [filter_shape(clause) for clause in value]
        elif key.startswith("$"):
            shape[key] = ["$expr"]
        elif isinstance(value, Mapping) and value and all(k.startswith("$") for k in value):
            shape[key] = sorted(value)
        elif isinstance(value, re.Pattern) or type(value).__name__ == "Regex":
            shape[key] = ["$regex"]
        else:
            shape[key] = ["$eq"]
    return shape


def _direction(value: Any) -> int:
    return -1 if value in (-1, -1.0) else 1


# -- checking ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Index:
    name: str
    key: tuple[tuple[str, int], ...]
    unique: bool = False


ID_INDEX = Index("_id_", (("_id", 1),), unique=True)


@dataclass
class Verdict:
    shape: dict
    served_by: str | None      # index name, None for a collection scan
    reason: str
    exempt: str | None = None  # the bound of a BOUNDED_COLLECTIONS entry
    blocking_sort: bool = False

    @property
    def scan(self) -> bool:
        return self.served_by is None and self.exempt is None


@dataclass
class Report:
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def scans(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.scan]

    def per_service(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for verdict in self.verdicts:
            counts[verdict.shape["service"]] = counts.get(verdict.shape["service"], 0) + 1
        return counts


def load(directory: Path, index_sources: Iterable[str] = ("agora-migrate",)
         ) -> tuple[list[dict], dict[tuple[str, str], list[Index]]]:
    """Distinct query shapes of every process, and the indexes declared by `index_sources`
    processes (the files `agora migrate` wrote), by (service, collection)."""
    shapes: dict[str, dict] = {}
    indexes: dict[tuple[str, str], dict[str, Index]] = {}
    for path in sorted(Path(directory).glob("*.jsonl")):
        declares = any(path.name.startswith(source + "-") for source in index_sources)
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["op"] == "createIndexes":
                if declares:
                    key = (record["service"], record["collection"])
                    indexes.setdefault(key, {})[record["index"]] = Index(
                        record["index"], tuple((k, d) for k, d in record["key"]),
                        record["unique"])
                continue
            canonical = dict(record)
            canonical.pop("limit", None)
            canonical["bounded"] = record.get("limit") is not None
            shapes.setdefault(json.dumps(canonical, sort_keys=True), record)
    return list(shapes.values()), {k: list(v.values()) for k, v in indexes.items()}


def check(shapes: Iterable[dict], indexes: Mapping[tuple[str, str], list[Index]]) -> Report:
    report = Report()
    for shape in shapes:
        declared = [ID_INDEX, *indexes.get((shape["service"], shape["collection"]), [])]
        verdict = verdict_for(shape, declared)
        if verdict.served_by is None:
            verdict.exempt = exemption(shape)
        report.verdicts.append(verdict)
    return report


def exemption(shape: dict) -> str | None:
    """The bound of the BOUNDED_COLLECTIONS entry covering `shape`'s collection, if any."""
    return (BOUNDED_COLLECTIONS.get((shape["service"], shape["collection"]))
            or BOUNDED_COLLECTIONS.get(("*", shape["collection"])))


def verdict_for(shape: dict, indexes: list[Index]) -> Verdict:
    """Which index serves `shape` (ESR), or why nothing does."""
    filter_ = shape["filter"]
    sort = [tuple(s) for s in shape.get("sort") or []]
    if not filter_ and not sort:
        if shape["op"] == "count" or (shape.get("limit") == 1 and shape["op"] == "find"):
            return Verdict(shape, "(no scan)", "whole-collection count / any one document")
        return Verdict(shape, None, "no filter: reads the whole collection")
    rest, alternatives = _lift_or(filter_)
    if alternatives:
        whole = _best(rest, sort, shape, indexes)
        if whole.served_by is not None and _bounds(rest, indexes):
            return whole
        missing = None
        for clauses in alternatives:  # one $or whose every clause is indexed is enough
            missing = next((c for c in clauses
                            if _best({**rest, **c}, sort, shape, indexes).served_by is None), None)
            if missing is None:
                return Verdict(shape, "(each $or clause)", "every $or clause is indexed")
        return Verdict(shape, None, f"an $or clause has no index: {missing}")
    return _best(filter_, sort, shape, indexes)


def _lift_or(filter_: dict) -> tuple[dict, list[list[dict]]]:
    """(the conditions every document must meet, the $or lists), `$and` clauses merged in."""
    rest: dict = {}
    alternatives: list[list[dict]] = []
    for key, value in filter_.items():
        if key == "$or":
            alternatives.append(value)
        elif key == "$and":
            for clause in value:
                clause_rest, clause_alternatives = _lift_or(clause)
                for name, ops in clause_rest.items():
                    rest[name] = sorted(set(rest.get(name, [])) | set(ops))
                alternatives.extend(clause_alternatives)
        else:
            rest[key] = value
    return rest, alternatives


def _flatten(filter_: dict) -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for key, value in filter_.items():
        if key == "$and":
            for clause in value:
                for name, ops in _flatten(clause).items():
                    fields.setdefault(name, set()).update(ops)
        elif not key.startswith("$"):
            fields.setdefault(key, set()).update(value)
    return fields


def _bounds(filter_: dict, indexes: list[Index]) -> bool:
    fields = _flatten(filter_)
    return any(ix.key[0][0] in fields and _kind(fields[ix.key[0][0]]) for ix in indexes)


def _kind(operators: set[str]) -> str | None:
    if operators & EQUALITY_OPERATORS:
        return "E"
    if operators & RANGE_OPERATORS:
        return "R"
    return None  # $ne, $nin, $exists, $not, $regex...: no tight bounds


def _best(filter_: dict, sort: list[tuple[str, int]], shape: dict,
          indexes: list[Index]) -> Verdict:
    fields = _flatten(filter_)
    equality = {f for f, ops in fields.items() if _kind(ops) == "E"}
    ranges = {f for f, ops in fields.items() if _kind(ops) == "R"}
    best: tuple[int, Index, bool] | None = None
    for index in indexes:
        score, sort_served = _esr(index, equality, ranges, sort, shape.get("limit"))
        if score and (best is None or (score, sort_served) > (best[0], best[2])):
            best = (score, index, sort_served)
    if best is None:
        used = sorted(fields) or ["(none)"]
        sort_text = f", sort {sort}" if sort else ""
        return Verdict(shape, None, f"no index starts with a field of {used}{sort_text}")
    score, index, sort_served = best
    blocking = bool(sort) and not sort_served and index.unique is False \
        and not (equality >= {k for k, _ in index.key})
    return Verdict(shape, index.name, f"{index.name} {list(index.key)}", blocking_sort=blocking)


def _esr(index: Index, equality: set[str], ranges: set[str], sort: list[tuple[str, int]],
         limit: int | None) -> tuple[int, bool]:
    """(how many leading index fields bound the scan, whether the sort comes from the index).

    Walks the index keys the way the planner does: equality fields in any order, then the sort
    keys in order (all in the index's direction or all reversed), then one range field."""
    keys = list(index.key)
    position = 0
    while position < len(keys) and keys[position][0] in equality:
        position += 1
    bounded = position
    sort_served = not sort
    if sort:
        wanted = [(f, d) for f, d in sort if f not in equality]
        window = keys[position:position + len(wanted)]
        if [f for f, _ in window] == [f for f, _ in wanted] and wanted:
            same = all(d == w for (_, d), (_, w) in zip(window, wanted, strict=True))
            flipped = all(d == -w for (_, d), (_, w) in zip(window, wanted, strict=True))
            if same or flipped:
                sort_served = True
                position += len(wanted)
        elif not wanted:
            sort_served = True
    if bounded and position < len(keys) and keys[position][0] in ranges:
        bounded = position + 1  # equality prefix, sort, then the range narrows it further
    if bounded == 0 and keys[0][0] in ranges:
        bounded = 1
    if bounded == 0 and sort_served and sort and limit:
        bounded = 1  # walks the index in sort order and stops at the limit
    return bounded, sort_served
