"""bench/tail.py's pure parts: the JVM's pause lines read, and a slow request lined up with them."""
from pathlib import Path

from bench.load import Outcome
from bench.tail import Pause, cause, hub_stretches, jvm_pauses, overlapping

G1 = ("[2026-12-02T18:16:08.541+0000][234.771s][info][gc          ] GC(45) Pause Young (Normal) "
      "(G1 Evacuation Pause) 412M->246M(1004M) 125.936ms")
PARALLEL = ("[2026-12-02T18:16:10.000+0000][236.000s][info][gc          ] GC(7) Pause Young "
            "(Allocation Failure) 300M->120M(1000M) 12.5ms")
ZGC = ("[2026-12-02T18:16:11.000+0000][237.000s][info][gc,phases   ] GC(3) Pause Mark Start "
       "0.012ms")
NOT_A_PAUSE = ("[2026-12-02T18:16:08.541+0000][234.771s][info][gc,phases   ] GC(45)   Evacuate "
               "Collection Set: 120.8ms")


def test_jvm_pauses_are_read_from_the_gc_log_ending_at_the_line_time(tmp_path: Path):
    log = tmp_path / "gc.log"
    log.write_text("\n".join([G1, NOT_A_PAUSE, PARALLEL, ZGC]) + "\n")
    pauses = jvm_pauses(log)
    assert [(p.what, p.ms) for p in pauses] == [("Pause Young (Normal)", 125.936),
                                                 ("Pause Young (Allocation Failure)", 12.5),
                                                 ("Pause Mark Start", 0.012)]
    first = pauses[0]
    assert abs(first.end - 1796235368.541) < 1e-3  # the line is written at the pause's end


def test_a_slow_request_overlaps_the_pauses_during_its_flight_only():
    request = Outcome("home", 0.0, 0.200, True, due=100.0)  # in flight 100.0 -> 100.2
    during = Pause("jvm", "Pause Young", 100.1, 50)
    before = Pause("posts", "gen 2", 99.0, 500)             # ends at 99.5
    after = Pause("jvm", "Pause Young", 100.3, 10)
    assert overlapping(request, [before, during, after]) == [during]


def test_a_held_hub_is_read_with_its_cpu_and_told_from_a_wait_for_a_core(tmp_path: Path):
    (tmp_path / "feeds.stalls").write_text(
        "100.050 60.0 55.0 feeds/projections.py:12 _items < feeds/service.py:9 home\n"
        "100.120 40.0 3.5 shared/recorders.py:75 insert < feeds/service.py:170 on_posts_event\n")
    computing, waiting = hub_stretches(tmp_path)
    assert (computing.where, computing.kind, computing.start, computing.ms) == (
        "feeds", "hub", 100.05, 60.0)
    assert computing.what.endswith("feeds/projections.py:12 _items < feeds/service.py:9 home")
    assert computing.computing and not waiting.computing  # 3.5 ms of CPU in 40 ms: a core's
    request = Outcome("home", 0.0, 0.200, True, due=100.0)
    assert cause(request, [computing, waiting, Pause("posts", "gen 0", 100.0, 5)]) is computing
