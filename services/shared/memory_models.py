"""Read-model collections held in this process's memory, for a replay's rebuild.

A rebuild starts from empty shadow collections that nobody else writes, so their whole state can
live in memory while the log is applied, and be written once at the end, each final document in
one plain insert. What the handlers send — `update_one` with `$set`/`$inc`/`$push`..., upserts,
`find` with a sort and a limit — is answered here with MongoDB's semantics for the subset that
read models use (`MemoryCollection`); anything outside that subset raises `Unsupported`
*before* changing anything, and the caller then moves the collection to the database and sends
the operation there (services/shared/projections.py, `ResidentReadModels`). Nothing here guesses:
an operator, a path through an array, a comparison between types MongoDB would order
differently, all are `Unsupported`.

Values written are kept as the server would have stored them: what a BSON round trip (the codec
of the real collection) gives back — tuples become lists, integers beyond 32 bits `Int64`,
datetimes lose their microseconds, naive ones become UTC — made in Python for values the trip
gives back as they are (`_as_stored`); and documents read are copies (a handler that changes what
it read changes nothing here).

Example::

    >>> from bson.codec_options import CodecOptions
    >>> notes = MemoryCollection("notes", CodecOptions())
    >>> notes.update_one({"_id": "n1"}, {"$inc": {"votes": 1}}, upsert=True).upserted_id
    'n1'
    >>> notes.find_one({"votes": {"$gte": 1}}, {"votes": 1})
    {'_id': 'n1', 'votes': 1}
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from operator import itemgetter
from typing import Any

import bson
from bson import Int64, ObjectId
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.results import DeleteResult, InsertManyResult, InsertOneResult

Document = dict[str, Any]
_MISSING = object()


class Unsupported(Exception):
    """An operation this engine does not answer exactly: send it to the database instead."""


# -- values ----------------------------------------------------------------------------------

def _bracket(value: Any) -> int:
    """MongoDB's order of BSON types (null < numbers < strings < objects < ... < dates)."""
    if value is None or value is _MISSING:
        return 1
    if isinstance(value, bool):
        return 8
    if isinstance(value, int | float):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, datetime):
        return 9
    raise Unsupported(f"ordering of {type(value).__name__}")


def _same(a: Any, b: Any) -> bool:
    """BSON equality of two plain values (true is not 1; 1 is 1.0)."""
    kind = type(a)
    if kind is type(b) and kind in _PLAIN:
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) or isinstance(b, dict):
        raise Unsupported("equality of embedded documents (order-sensitive in MongoDB)")
    return type(a) is type(b) and a == b


_PLAIN = {str, int, float, datetime, ObjectId}


def _index_key(value: Any) -> Any:
    """A hashable key under which a scalar is found by equality (None: not indexable)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    return None


def _lookup(document: Document, path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if isinstance(value, list):
            raise Unsupported(f"path {path!r} through an array")
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(part, _MISSING)
    return value


# -- filters ---------------------------------------------------------------------------------

_COMPARISONS = {
    "$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b,
}


def matches(document: Document, query: dict[str, Any], known: str | None = None) -> bool:
    """Whether `document` matches the MongoDB filter `query` (raises `Unsupported`); `known`:
    a top-level field whose condition the caller has already seen it satisfy (`_id`, when
    found by it), not checked again."""
    for key, condition in query.items():
        if key == known:
            continue
        if not key.startswith("$"):  # a field: the commonest key, looked up in one step
            value = _lookup(document, key) if "." in key else document.get(key, _MISSING)
            if not _field_matches(value, condition):
                return False
        elif key == "$and":
            if not all(matches(document, clause) for clause in condition):
                return False
        elif key == "$or":
            if not any(matches(document, clause) for clause in condition):
                return False
        elif key == "$nor":
            if any(matches(document, clause) for clause in condition):
                return False
        else:
            raise Unsupported(f"query operator {key}")
    return True


def _is_operators(condition: Any) -> bool:
    if not isinstance(condition, dict) or not condition:
        return False
    for key in condition:  # noqa: SIM110 (all() over a generator: twice the cost, per filter)
        if not key.startswith("$"):
            return False
    return True


def _field_matches(value: Any, condition: Any) -> bool:
    if not _is_operators(condition):
        return _equals(value, condition)
    for operator, operand in condition.items():
        if operator == "$eq":
            ok = _equals(value, operand)
        elif operator == "$ne":
            ok = not _equals(value, operand)
        elif operator == "$in":
            ok = any(_equals(value, each) for each in operand)
        elif operator == "$nin":
            ok = not any(_equals(value, each) for each in operand)
        elif operator == "$exists":
            ok = (value is not _MISSING) == bool(operand)
        elif operator in _COMPARISONS:
            ok = _compares(value, operator, operand)
        else:
            raise Unsupported(f"query operator {operator}")
        if not ok:
            return False
    return True


def _equals(value: Any, wanted: Any) -> bool:
    """Equality as a query means it: null matches a missing field; an array matches when it
    equals the value or holds it."""
    if isinstance(wanted, dict):
        raise Unsupported("equality of embedded documents (order-sensitive in MongoDB)")
    if wanted is None:
        return value is _MISSING or value is None or (
            isinstance(value, list) and any(each is None for each in value))
    if value is _MISSING:
        return False
    if isinstance(value, list):
        if isinstance(wanted, str):
            return wanted in value  # only a string equals a string
        if isinstance(wanted, list) and _same(value, wanted):
            return True
        return any(not isinstance(each, dict) and _same(each, wanted) for each in value)
    return _same(value, wanted)


def _compares(value: Any, operator: str, operand: Any) -> bool:
    if operand is None or isinstance(operand, list | dict | bool):
        raise Unsupported(f"{operator} with {operand!r}")
    if isinstance(value, list):
        raise Unsupported(f"{operator} on an array")
    if value is _MISSING or value is None or _bracket(value) != _bracket(operand):
        return False  # MongoDB compares within a type only
    return _COMPARISONS[operator](value, operand)


# -- updates ---------------------------------------------------------------------------------

class _Draft:
    """The document an update builds: a shallow copy of the stored one, whose nested documents
    and arrays are copied only on the paths the update changes (copy on write)."""

    def __init__(self, document: Document):
        self.root: Document = dict(document)
        self._fresh: set[int] = {id(self.root)}

    def _own(self, node: dict, part: str, child: Any) -> Any:
        if id(child) not in self._fresh:
            child = node[part] = child.copy()
            self._fresh.add(id(child))
        return child

    def parent(self, path: str, create: bool) -> tuple[dict | None, str]:
        if "." not in path:
            return self.root, path  # a top-level field: the commonest path
        parts = path.split(".")
        node: Any = self.root
        for part in parts[:-1]:
            child = node.get(part, _MISSING)
            if child is _MISSING:
                if not create:
                    return None, parts[-1]
                child = node[part] = {}
                self._fresh.add(id(child))
            elif not isinstance(child, dict):
                raise Unsupported(f"path {path!r} through a {type(child).__name__}")
            else:
                child = self._own(node, part, child)
            node = child
        return node, parts[-1]

    def set(self, path: str, value: Any) -> None:
        node, last = self.parent(path, create=True)
        node[last] = value

    def array(self, path: str, create: bool = True) -> list | None:
        """The array at `path`, this draft's own copy (None when missing and not `create`)."""
        node, last = self.parent(path, create=create)
        current = _MISSING if node is None else node.get(last, _MISSING)
        if current is _MISSING:
            if not create:
                return None
            current = node[last] = []
            self._fresh.add(id(current))
            return current
        if not isinstance(current, list):
            raise Unsupported(f"array operator on a {type(current).__name__}")
        return self._own(node, last, current)


_PUSH_MODIFIERS = frozenset({"$each", "$slice"})
_ADD_MODIFIERS = frozenset({"$each"})


def _values(operand: Any, modifiers: frozenset[str]) -> tuple[list[Any], dict[str, Any]]:
    """The values of a `$push`/`$addToSet` operand: `{"$each": [...], ...}` or one value
    (`modifiers`: those allowed, `$each` among them)."""
    if isinstance(operand, dict) and "$each" in operand:
        if not operand.keys() <= modifiers:
            raise Unsupported(f"modifiers {sorted(operand)}")
        return operand["$each"], operand
    if isinstance(operand, dict) and any(key.startswith("$") for key in operand):
        raise Unsupported(f"modifier in {operand!r}")
    return [operand], {}


def _apply_operator(draft: _Draft, operator: str, path: str, operand: Any,
                    inserting: bool) -> None:
    if path == "_id" or path.startswith("_id."):
        raise Unsupported("a change of _id")
    document = draft.root
    if operator == "$set":
        draft.set(path, operand)
    elif operator == "$setOnInsert":
        if inserting:
            draft.set(path, operand)
    elif operator == "$unset":
        node, last = draft.parent(path, create=False)
        if node is not None:
            node.pop(last, None)
    elif operator == "$inc":
        current = _lookup(document, path)
        if isinstance(operand, bool) or not isinstance(operand, int | float):
            raise Unsupported(f"$inc by {operand!r}")
        if current is _MISSING:
            draft.set(path, operand)
        elif isinstance(current, int | float) and not isinstance(current, bool):
            draft.set(path, current + operand)
        else:
            raise Unsupported(f"$inc of a {type(current).__name__}")
    elif operator in ("$max", "$min"):
        current = _lookup(document, path)
        if current is _MISSING:
            draft.set(path, operand)
        else:
            if _bracket(current) != _bracket(operand) or _bracket(operand) == 1:
                raise Unsupported(f"{operator} across types")
            if (operand > current) if operator == "$max" else (operand < current):
                draft.set(path, operand)
    elif operator == "$push":
        values, extra = _values(operand, _PUSH_MODIFIERS)
        array = draft.array(path)
        array.extend(values)
        if "$slice" in extra:  # in place: the array is the draft's own
            size = extra["$slice"]
            if size < 0:
                del array[:max(0, len(array) + size)]
            else:
                del array[size:]
    elif operator == "$addToSet":
        values, _ = _values(operand, _ADD_MODIFIERS)
        array = draft.array(path)
        for value in values:
            if not any(_same(each, value) for each in array):
                array.append(value)
    elif operator == "$pull":
        if isinstance(operand, dict):
            raise Unsupported("$pull with a condition")
        array = draft.array(path, create=False)
        if array is not None:
            array[:] = [each for each in array
                        if isinstance(each, dict) or not _same(each, operand)]
    else:
        raise Unsupported(f"update operator {operator}")


def updated(document: Document, update: dict[str, Any], inserting: bool = False) -> Document:
    """A new document: `document` with the operators of `update` applied (raises
    `Unsupported`, leaving `document` as it was: nothing it holds is changed in place)."""
    if not isinstance(update, dict) or not update or not _is_operators(update):
        raise Unsupported("an update that is not a document of operators")
    draft = _Draft(document)
    for operator, fields in update.items():
        for path, operand in fields.items():
            if operator == "$set" and "." not in path and path != "_id":
                draft.root[path] = operand  # the commonest of all: `_apply_operator`'s first case
            else:
                _apply_operator(draft, operator, path, operand, inserting)
    return draft.root


def _copy(value: Any) -> Any:
    """A copy of a stored document's nested dicts and lists (the values are immutable)."""
    if type(value) is dict:
        return {key: _copy(item) if type(item) in _CONTAINERS else item
                for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) if type(item) in _CONTAINERS else item for item in value]
    return value


_CONTAINERS = {dict, list}


class _NotPlain(Exception):
    """A value `_as_stored` does not make: the BSON round trip does."""


_KEPT = frozenset({float, bool, type(None), Int64})
_INT32, _INT64 = 2**31, 2**63
# dict keys `_as_stored` found usable (strings the codec encodes, without a NUL): the same few
# field names and operators, and posts' search terms, are checked once each, not at every write
# (the check was a third of `_as_stored`); bounded, as the terms are the community's words
_STORED_KEYS: set[str] = set()
_STORED_KEYS_KEPT = 65536


def _as_stored(value: Any) -> Any:
    """`value` as its BSON round trip gives it back, made in Python (twice as fast), for values
    made only of strings the codec encodes, integers, floats, booleans, nulls, lists or tuples
    and dicts with string keys: a tuple becomes a list, an integer beyond 32 bits an `Int64`,
    everything else comes back as it was. Anything else (a datetime loses its microseconds, an
    integer beyond 64 bits, a string with a lone surrogate or a key with a NUL are refused...)
    raises `_NotPlain`."""
    kind = type(value)
    if kind is dict:
        stored = {}
        for key, item in value.items():
            if key not in _STORED_KEYS:
                _check_key(key)
            item_kind = type(item)  # the commonest values kept here, without a call each
            if item_kind is str:
                stored[key] = item if item.isascii() else _scalar_as_stored(item, str)
            elif item_kind is int:
                stored[key] = item if -_INT32 <= item < _INT32 else _scalar_as_stored(item, int)
            elif item_kind in _KEPT:
                stored[key] = item
            else:
                stored[key] = _as_stored(item)
        return stored
    if kind is list or kind is tuple:
        # the dict branch's check, inline: a call per item was most of the calls here (posts'
        # search words, mentions' tokens)
        return [item if (type(item) is str and item.isascii()) or type(item) in _KEPT else
                _as_stored(item) for item in value]
    return _scalar_as_stored(value, kind)


def _scalar_as_stored(value: Any, kind: type) -> Any:
    if kind is str:
        if value.isascii() or _encodable(value):
            return value
    elif kind is int:
        if -_INT32 <= value < _INT32:
            return value
        if -_INT64 <= value < _INT64:
            return Int64(value)  # a timestamp in microseconds, say
    elif kind in _KEPT:
        return value
    raise _NotPlain


def _check_key(key: Any) -> None:
    """Raise `_NotPlain` unless `key` is a field name the codec encodes as it is."""
    if type(key) is not str or "\x00" in key or not (key.isascii() or _encodable(key)):
        raise _NotPlain
    if len(_STORED_KEYS) < _STORED_KEYS_KEPT:
        _STORED_KEYS.add(key)


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        raise _NotPlain from None
    return True


# -- projections and sorts -------------------------------------------------------------------

def projected(document: Document, projection: Any) -> Document:
    if projection is None:
        return _copy(document)
    including, named, with_id = _projection_plan(projection)
    if including:  # {"_id": 1} alone names nothing else: shows `_id` alone
        result = {key: _copy(document[key]) for key in document if key in named}
    else:
        result = {key: _copy(value) for key, value in document.items()
                  if key not in named and key != "_id"}
    if with_id and "_id" in document:
        return {"_id": document["_id"], **result}
    return result


_PLANS: dict[Any, tuple[bool, frozenset[str], bool]] = {}
_PLANS_KEPT = 256  # projections are written in the code: a handful


def _projection_plan(projection: Any) -> tuple[bool, frozenset[str], bool]:
    """(whether the fields named are those shown, the fields named but `_id`, whether `_id` is
    shown) — a projection's meaning, worked out once per projection (handlers send the same
    few, thousands of times in a replay)."""
    try:
        key = tuple(projection.items()) if isinstance(projection, dict) else tuple(projection)
        plan = _PLANS.get(key)
    except (TypeError, AttributeError):  # unhashable, or not a projection: said below
        key, plan = None, None
    if plan is None:
        plan = _plan_of(projection)
        if key is not None and len(_PLANS) < _PLANS_KEPT:
            _PLANS[key] = plan
    return plan


def _plan_of(projection: Any) -> tuple[bool, frozenset[str], bool]:
    if isinstance(projection, list | tuple):
        projection = dict.fromkeys(projection, 1)
    if any("." in key or key.startswith("$") for key in projection) or any(
            isinstance(flag, dict) for flag in projection.values()):
        raise Unsupported(f"projection {projection!r}")
    if not projection:
        raise Unsupported("an empty projection")
    shown = {key: bool(flag) for key, flag in projection.items()}
    with_id = shown.pop("_id", True)
    if not shown:  # only _id named: {"_id": 1} shows it alone, {"_id": 0} all but it
        return with_id, frozenset(), with_id
    if all(shown.values()):
        return True, frozenset(shown), with_id
    if not any(shown.values()):
        return False, frozenset(shown), with_id
    raise Unsupported("a projection that both includes and excludes")


def _sort_spec(key_or_list: Any, direction: Any = None) -> list[tuple[str, int]]:
    if isinstance(key_or_list, str):
        return [(key_or_list, 1 if direction is None else int(direction))]
    if isinstance(key_or_list, dict):
        return [(key, int(order)) for key, order in key_or_list.items()]
    return [(key, int(order)) for key, order in key_or_list]


def _sorted(documents: list[Document], spec: list[tuple[str, int]]) -> list[Document]:
    result = list(documents)
    for field, direction in reversed(spec):  # stable sorts, last key first
        def key(document: Document, field: str = field) -> tuple[int, Any]:
            value = _lookup(document, field)
            if isinstance(value, list | dict):
                raise Unsupported(f"sort on an array or a document ({field})")
            bracket = _bracket(value)
            return bracket, (0 if bracket == 1 else value)
        result.sort(key=key, reverse=direction < 0)
    return result


# -- the collection --------------------------------------------------------------------------

class Changes:
    """What changed since it was last taken, for a replay that writes out what it holds while it
    goes on: keys in the order of their last change, each with the number of changes made
    (`count`) at that change; and the keys taken before.

    A key taken before and changed since waits apart (`_again`) for the take without `until`,
    the only one that takes it: a take with `until` looks at keys never taken, nothing else,
    so writing behind costs what changed since the last take. Kept with the others, every key
    sent once and changed again (a counter, a stream's cursor) was looked at anew by every
    take until the end — a re-scan that grew with the log."""

    def __init__(self) -> None:
        self._changed: dict[Any, int] = {}  # never taken
        self._again: dict[Any, int] = {}  # taken before, changed since
        self.count = 0
        self._taken: set[Any] = set()

    def touch(self, key: Any) -> None:
        self.count += 1
        waiting = self._again if key in self._taken else self._changed
        waiting.pop(key, None)  # to the end: the order of last changes
        waiting[key] = self.count

    def take(self, exists: Callable[[Any], bool], until: int | None = None
             ) -> list[tuple[Any, bool]]:
        """The keys changed since they were last taken, each once, with whether it was taken
        before; they count as taken from now on (forgotten if it no longer `exists`). With
        `until`, only those never taken and not changed after the `until`-th change (what
        changes again after it was taken waits for the call without `until`: what keeps
        changing is taken twice at most)."""
        if until is None:  # both kinds, in the order of their last change
            taken = [(key, key in self._taken) for key, _ in heapq.merge(
                self._changed.items(), self._again.items(), key=itemgetter(1))]
            self._changed, self._again = {}, {}
        else:
            taken = []
            for key, when in self._changed.items():
                if when > until:
                    break
                taken.append((key, False))
            for key, _ in taken:
                del self._changed[key]
        for key, _ in taken:
            if exists(key):
                self._taken.add(key)
            else:
                self._taken.discard(key)
        return taken


class MemoryCollection:
    """One collection's documents in insertion order, with equality indexes made on first use
    of a field in a query and kept up to date by every write."""

    def __init__(self, name: str, codec_options: CodecOptions):
        self.name = name
        self.codec_options = codec_options
        registry = codec_options.type_registry
        # values decode as they were encoded (`_as_stored`) unless the codec maps types
        self._plain = (codec_options.document_class is dict and not registry.codecs
                       and registry.fallback_encoder is None)
        self.documents: dict[Any, Document] = {}
        self._indexes: dict[str, dict[Any, set]] = {}
        self._order: dict[Any, int] = {}  # natural order: when each document was inserted
        self._inserted = 0
        self._sizes: dict[Any, int] = {}
        self._size = 0
        # documents put since `size` was last read, counted then: a document encoded at every
        # write only to count it (a counter holding its 64 last event ids: ~2.6 KB) cost more
        # than the update itself
        self._unsized: set[Any] = set()
        self._changes = Changes()  # for a replay that writes documents out as it goes on

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def size(self) -> int:
        """Bytes of the documents held, as BSON (what bounds a replay's memory)."""
        if self._unsized:
            for key in self._unsized:  # documents are never changed in place: as when put
                size = len(bson.encode(self.documents[key], codec_options=self.codec_options))
                self._size += size - self._sizes.get(key, 0)
                self._sizes[key] = size
            self._unsized.clear()
        return self._size

    # -- storing --------------------------------------------------------------------------

    def _stored(self, value: dict[str, Any]) -> dict[str, Any]:
        """What the server would keep of `value` (and a copy no caller holds): its BSON round
        trip, or the same made in Python when `value` holds only values the round trip gives
        back as they are (`_as_stored`)."""
        if self._plain and type(value) is dict:
            try:
                stored = _as_stored(value)
            except _NotPlain:
                pass
            else:
                if "_id" in stored and next(iter(stored)) != "_id":
                    stored = {"_id": stored.pop("_id"), **stored}  # BSON writes it first
                return stored
        data = bson.encode(value, codec_options=self.codec_options)
        return bson.decode(data, codec_options=self.codec_options)

    def _key(self, value: Any) -> Any:
        if type(value) is str:
            return "str", value  # the commonest _id
        if isinstance(value, dict | list):
            raise Unsupported("an _id that is a document or an array")
        return (type(value).__name__ if not isinstance(value, int | float) or
                isinstance(value, bool) else "n", value)

    def _touch(self, key: Any) -> None:
        self._changes.touch(key)

    @property
    def writes(self) -> int:
        """How many changes this collection has had (a clock for `changes`)."""
        return self._changes.count

    def changes(self, until: int | None = None) -> list[tuple[Any, Document | None, bool]]:
        """The documents changed since they were last taken, each once: (key, the document or
        None when it was removed, whether it was taken before), as `Changes.take` chooses them.
        Documents are never changed in place (an update makes a new one), so what is returned
        stays as it is while the collection goes on."""
        return [(key, self.documents.get(key), before)
                for key, before in self._changes.take(self.documents.__contains__, until)]

    def _put(self, document: Document) -> None:
        key = self._key(document["_id"])
        self._put_at(key, document, self.documents.get(key))

    def _put_at(self, key: Any, document: Document, old: Document | None) -> None:
        """`_put` of a document whose key and stored version (`old`) the caller has."""
        self._touch(key)
        if old is not None:
            self._unindex(key, old)
        else:
            self._inserted += 1
            self._order[key] = self._inserted
        self.documents[key] = document
        self._unsized.add(key)
        for field, index in self._indexes.items():
            for entry in self._entries(document, field):
                index.setdefault(entry, set()).add(key)

    def _remove(self, key: Any) -> None:
        self._touch(key)
        old = self.documents.pop(key)
        del self._order[key]
        self._unsized.discard(key)
        self._size -= self._sizes.pop(key, 0)
        self._unindex(key, old)

    def _unindex(self, key: Any, document: Document) -> None:
        for field, index in self._indexes.items():
            for entry in self._entries(document, field):
                bucket = index.get(entry)
                if bucket is not None:
                    bucket.discard(key)

    @staticmethod
    def _entries(document: Document, field: str) -> list[Any]:
        if "." in field:
            try:
                value = _lookup(document, field)
            except Unsupported:
                return [("?",)]  # not answerable by the index: always a candidate
        else:
            value = document.get(field, _MISSING)
        if type(value) is not list:
            key = _index_key(value)
            return [("-",) if key is None else key]
        keys = [_index_key(each) for each in value]
        return [k for k in keys if k is not None] or [("-",)]

    # -- finding --------------------------------------------------------------------------

    def _candidates(self, query: dict[str, Any]) -> list[set] | None:
        """The documents that may match, as a union of index buckets (shared: read only);
        None: every document."""
        wanted = query.get("_id", _MISSING)
        if wanted is not _MISSING and type(wanted) in _PLAIN:  # the usual case: one document
            key = self._key(wanted)
            return [{key}] if key in self.documents else []
        best: list[set] | None = None
        for key, condition in query.items():
            found: list[set] | None = None
            if key == "$and":
                clauses = [self._candidates(clause) for clause in condition]
                clauses = [each for each in clauses if each is not None]
                found = min(clauses, key=_size) if clauses else None
            elif key == "$or":
                clauses = [self._candidates(clause) for clause in condition]
                found = None if any(each is None for each in clauses) else [
                    bucket for each in clauses for bucket in each]
            elif not key.startswith("$"):
                found = self._field_candidates(key, condition)
            if found is not None and (best is None or _size(found) < _size(best)):
                best = found
        return best

    def _field_candidates(self, field: str, condition: Any) -> list[set] | None:
        if _is_operators(condition):
            if set(condition) & {"$eq", "$in"} != set(condition) or len(condition) != 1:
                return None
            values = [condition["$eq"]] if "$eq" in condition else list(condition["$in"])
        else:
            values = [condition]
        if field == "_id":
            keys = set()
            for value in values:
                if isinstance(value, dict | list) or value is None:
                    return None
                key = self._key(value)
                if key in self.documents:
                    keys.add(key)
            return [keys]
        entries = [_index_key(value) for value in values]
        if any(entry is None for entry in entries):
            return None
        index = self._index(field)
        return [index[entry] for entry in [("?",), *entries] if entry in index]

    def _index(self, field: str) -> dict[Any, set]:
        """The equality index of `field`, made on its first use in a query."""
        index = self._indexes.get(field)
        if index is None:
            index = self._indexes[field] = {}
            for key, document in self.documents.items():
                for entry in self._entries(document, field):
                    index.setdefault(entry, set()).add(key)
        return index

    def _equal_to_strings(self, equalities: list[tuple[str, Any]]) -> list[Any]:
        """The documents whose every field named is one of its strings
        (`_string_equalities`), in natural order, from the indexes alone: a top-level field's
        bucket of a string holds exactly the documents where the field is that string or an
        array holding it — what `matches` would check again, document by document (when the
        query has other conditions, it checks those documents only: whatever fails one
        equality fails the query)."""
        found: list[set] = []
        for field, values in equalities:
            if field == "_id":  # no index: the documents' own keys
                found.append({self._key(value) for value in values} & self.documents.keys())
                continue
            index = self._index(field)
            buckets = [index[entry] for entry in [("s", value) for value in values]
                       if entry in index]
            found.append(buckets[0] if len(buckets) == 1 else set().union(*buckets))
        keys = found[0] if len(found) == 1 else set.intersection(*found)  # shared: read only
        return sorted(keys, key=self._order.__getitem__)

    def _matching(self, query: dict[str, Any] | None) -> list[Any]:
        query = _filter(query)
        wanted = query.get("_id", _MISSING)
        if type(wanted) in _PLAIN:  # the usual case: one document, found by its _id
            key = self._key(wanted)
            document = self.documents.get(key)
            if document is None:
                return []
            return [key] if len(query) == 1 or matches(document, query, "_id") else []
        equalities, exact = _string_equalities(query)
        if equalities:  # the handlers' other finds: `{"source": s}`, `{"_id": {"$in": ids}}`
            keys = self._equal_to_strings(equalities)
            return keys if exact else [key for key in keys if matches(self.documents[key], query)]
        candidates = self._candidates(query)
        if candidates is None:
            keys: Any = list(self.documents)
        else:  # in natural order, as a scan would meet them
            found = candidates[0] if len(candidates) == 1 else set().union(*candidates)
            keys = sorted(found, key=self._order.__getitem__)
        return [key for key in keys if matches(self.documents[key], query)]

    def find(self, filter: Any = None, projection: Any = None, *, sort: Any = None,
             limit: int = 0, skip: int = 0) -> MemoryCursor:
        return MemoryCursor(self, _filter(filter), projection, sort, limit, skip)

    def find_one(self, filter: Any = None, projection: Any = None, *, sort: Any = None
                 ) -> Document | None:
        if type(filter) is dict and len(filter) == 1:  # the commonest read: one _id, no cursor
            wanted = filter.get("_id", _MISSING)
            if type(wanted) in _PLAIN:
                document = self.documents.get(self._key(wanted))
                return None if document is None else projected(document, projection)
        return next(iter(self.find(filter, projection, sort=sort, limit=1)), None)

    def count_documents(self, filter: Any = None, *, limit: int = 0, skip: int = 0) -> int:
        count = max(0, len(self._matching(filter)) - skip)
        return min(count, limit) if limit else count

    # -- writing --------------------------------------------------------------------------

    def insert_one(self, document: Document) -> InsertOneResult:
        if "_id" not in document:
            document["_id"] = ObjectId()  # as pymongo does, in the caller's document
        stored = self._stored(document)
        if self._key(stored["_id"]) in self.documents:
            raise DuplicateKeyError(f"E11000 duplicate key: _id {stored['_id']!r}", 11000)
        self._put(stored)
        return InsertOneResult(stored["_id"], True)

    def insert_many(self, documents: list[Document], ordered: bool = True) -> InsertManyResult:
        stored = []
        for document in documents:
            if "_id" not in document:
                document["_id"] = ObjectId()
            stored.append(self._stored(document))
        for each in stored:
            self._key(each["_id"])  # every _id usable before anything is inserted
        errors, inserted = [], []
        for position, each in enumerate(stored):
            if self._key(each["_id"]) in self.documents:
                errors.append({"index": position, "code": 11000,
                               "errmsg": f"E11000 duplicate key: _id {each['_id']!r}"})
                if ordered:
                    break
                continue
            self._put(each)
            inserted.append(each["_id"])
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": len(inserted),
                                  "writeConcernErrors": [], "nUpserted": 0, "nMatched": 0,
                                  "nModified": 0, "nRemoved": 0, "upserted": []})
        return InsertManyResult(inserted, True)

    def update_one(self, filter: dict, update: Any, upsert: bool = False) -> _Updated:
        return self._update(filter, update, upsert, many=False)

    def update_many(self, filter: dict, update: Any, upsert: bool = False) -> _Updated:
        return self._update(filter, update, upsert, many=True)

    def replace_one(self, filter: dict, replacement: Document, upsert: bool = False
                    ) -> _Updated:
        if any(key.startswith("$") for key in replacement):
            raise Unsupported("a replacement holding operators")
        keys = self._matching(filter)[:1]
        stored = self._stored(replacement)
        if keys:
            old = self.documents[keys[0]]
            if "_id" in stored and not _same(stored["_id"], old["_id"]):
                raise Unsupported("a replacement that changes _id")
            new = {"_id": old["_id"], **{k: v for k, v in stored.items() if k != "_id"}}
            self._put(new)
            return _Updated(1, int(new != old))
        if not upsert:
            return _Updated(0, 0)
        seed = _upsert_seed(filter)
        new = {**self._stored(seed), **stored}
        return self._insert_upserted(new)

    def _update(self, filter: dict, update: Any, upsert: bool, many: bool) -> _Updated:
        keys = self._matching(filter)
        if not many:
            keys = keys[:1]
        if keys:
            stored_update = self._stored(update) if isinstance(update, dict) else update
            documents = self.documents
            changed = [(key, documents[key], updated(documents[key], stored_update))
                       for key in keys]
            modified = 0
            for key, old, new in changed:  # every change computed before any is kept
                if new != old:
                    modified += 1
                    self._put_at(key, new, old)
            return _Updated(len(keys), modified)
        if not upsert:
            return _Updated(0, 0)
        seed = self._stored(_upsert_seed(filter))
        new = updated(seed, self._stored(update), inserting=True)
        return self._insert_upserted(new)

    def _insert_upserted(self, new: Document) -> _Updated:
        if "_id" not in new:
            new["_id"] = ObjectId()
        if self._key(new["_id"]) in self.documents:
            # the document exists but did not match: MongoDB's upsert tries an insert
            raise DuplicateKeyError(f"E11000 duplicate key: _id {new['_id']!r}", 11000)
        if next(iter(new)) != "_id":
            new = {"_id": new.pop("_id"), **new}
        self._put(new)
        return _Updated(0, 0, True, new["_id"])

    def delete_one(self, filter: dict) -> DeleteResult:
        keys = self._matching(filter)[:1]
        for key in keys:
            self._remove(key)
        return DeleteResult({"n": len(keys)}, True)

    def delete_many(self, filter: dict) -> DeleteResult:
        keys = self._matching(filter)
        for key in keys:
            self._remove(key)
        return DeleteResult({"n": len(keys)}, True)

    def find_one_and_update(self, filter: dict, update: Any, projection: Any = None, *,
                            upsert: bool = False, return_document: bool = ReturnDocument.BEFORE
                            ) -> Document | None:
        """`update_one`, answering the document as it was (or, `AFTER`, became)."""
        keys = self._matching(filter)[:1]
        before = self.documents[keys[0]] if keys else None
        result = self._update(filter, update, upsert, many=False)
        if return_document == ReturnDocument.BEFORE or (before is None and
                                                         result.upserted_id is None):
            return None if before is None else projected(before, projection)
        key = keys[0] if keys else self._key(result.upserted_id)
        return projected(self.documents[key], projection)

    def find_one_and_delete(self, filter: dict, projection: Any = None) -> Document | None:
        keys = self._matching(filter)[:1]
        if not keys:
            return None
        document = projected(self.documents[keys[0]], projection)
        self._remove(keys[0])
        return document


class _Updated:
    """An update's answer, as `UpdateResult` gives it (`matched_count`, `modified_count`,
    `upserted_id`, `did_upsert`, `raw_result`, `acknowledged`), in plain attributes: pymongo's
    builds a raw result and answers each through a property that first checks the write was
    acknowledged — four calls for the one read `update_once` makes of every update."""

    __slots__ = ("did_upsert", "matched_count", "modified_count", "upserted_id")
    acknowledged = True

    def __init__(self, matched: int, modified: int, upserted: bool = False,
                 upserted_id: Any = None):
        self.matched_count = matched
        self.modified_count = modified
        self.did_upsert = upserted
        self.upserted_id = upserted_id

    @property
    def raw_result(self) -> dict[str, Any]:
        """The server's counts: an upsert counts its document in `n` (never matched)."""
        if not self.did_upsert:
            return {"n": self.matched_count, "nModified": self.modified_count}
        return {"n": 1, "nModified": self.modified_count, "upserted": self.upserted_id}


def _size(buckets: list[set]) -> int:
    return sum(len(bucket) for bucket in buckets)


def _filter(query: Any) -> dict[str, Any]:
    if query is None:
        return {}
    if not isinstance(query, dict):
        return {"_id": query}  # find_one(some_id), as pymongo reads it
    return query


def _string_equalities(query: dict[str, Any]) -> tuple[list[tuple[str, Any]], bool]:
    """(field, its strings) for each condition of `query`, at its top level or in its `$and`s,
    that makes a top-level field equal to a string or `$in` strings — what every matching
    document satisfies — and whether those are all of its conditions."""
    found: list[tuple[str, Any]] = []
    exact = True
    for key, condition in query.items():
        kind = type(condition)
        if key.startswith("$") or "." in key:
            if key == "$and" and kind is list and condition and all(
                    type(clause) is dict for clause in condition):
                for clause in condition:
                    inner, inner_exact = _string_equalities(clause)
                    found += inner
                    exact = exact and inner_exact and bool(inner)
            else:
                exact = False
        elif kind is str:
            found.append((key, (condition,)))
        elif kind is dict and len(condition) == 1 and type(condition.get("$in")) is list and all(
                type(value) is str for value in condition["$in"]):
            found.append((key, condition["$in"]))
        else:
            exact = False
    return found, exact


def _upsert_seed(query: dict[str, Any]) -> Document:
    """The fields an upsert's new document takes from its filter: its plain equalities."""
    seed: Document = {}
    for key, condition in query.items():
        if key == "$or" and len(condition) > 1:
            continue  # several alternatives: MongoDB takes nothing from them
        if key.startswith("$") or "." in key:
            raise Unsupported(f"an upsert whose filter has {key!r}")
        if _is_operators(condition):
            if set(condition) == {"$eq"}:
                seed[key] = condition["$eq"]
            elif not set(condition) <= {"$ne", "$nin", "$exists", "$lt", "$lte", "$gt", "$gte",
                                        "$in"}:
                raise Unsupported(f"an upsert whose filter has {condition!r}")
            elif "$in" in condition and len(condition["$in"]) == 1:
                raise Unsupported("an upsert with a one-value $in")
        else:
            seed[key] = condition
    return seed


class MemoryCursor:
    """What `MemoryCollection.find` answers: `sort`, `skip`, `limit`, then iterate."""

    def __init__(self, collection: MemoryCollection, query: dict[str, Any], projection: Any,
                 sort: Any, limit: int, skip: int):
        self.collection = collection
        self.query = query
        self.projection = projection
        self.spec = _sort_spec(sort) if sort else None
        self._limit = limit
        self._skip = skip
        self._results: list[Document] | None = None

    def sort(self, key_or_list: Any, direction: Any = None) -> MemoryCursor:
        self.spec = _sort_spec(key_or_list, direction)
        return self

    def limit(self, limit: int) -> MemoryCursor:
        self._limit = limit
        return self

    def skip(self, skip: int) -> MemoryCursor:
        self._skip = skip
        return self

    def results(self) -> list[Document]:
        """Evaluate (raises `Unsupported`); a cursor evaluates once."""
        if self._results is None:
            keys = self.collection._matching(self.query)
            documents = [self.collection.documents[key] for key in keys]
            if self.spec:
                documents = _sorted(documents, self.spec)
            documents = documents[self._skip:]
            if self._limit:
                documents = documents[:abs(self._limit)]
            self._results = [projected(each, self.projection) for each in documents]
        return self._results

    def __iter__(self) -> Iterator[Document]:
        return iter(self.results())
