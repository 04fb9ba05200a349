"""services/shared/collector.py in a fresh interpreter (the collector's state is process-wide)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
import nameko.containers, pymongo, marshmallow  # what a service's start-up imports, in part
from services.shared.collector import log_collections, tune_collector
log_collections("probe")
tune_collector()
garbage = [[i] for i in range(200_000)]           # a big young heap: a collection of >= 1 ms
for item in garbage:
    item.append(item)                              # cycles: only the collector frees them
del garbage, item
gc.collect()
print(json.dumps({"frozen": gc.get_freeze_count()}))
"""


def _probe(tmp_path: Path, **env: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_start_up_objects_are_frozen_and_collections_are_logged(tmp_path: Path):
    seen = _probe(tmp_path, AGORA_GC_LOG=str(tmp_path))
    assert seen["frozen"] > 50_000  # the imports' objects: out of every full collection's walk
    start, ms, generation, cpu = (tmp_path / "probe.gc").read_text().splitlines()[-1].split()
    assert float(ms) >= 1.0 and generation == "2" and float(start) > 1.7e9
    assert 0 < float(cpu) <= float(ms) + 1


def test_tuning_can_be_left_off_for_a_comparison(tmp_path: Path):
    seen = _probe(tmp_path, AGORA_GC_TUNING="off")
    assert seen["frozen"] == 0
    assert not list(tmp_path.iterdir())  # no AGORA_GC_LOG: nothing logged
