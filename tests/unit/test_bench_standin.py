"""bench/standin.py's pure parts: the stand-in's JVM options read as dev/stack.sh reads them, and
its pauses in a window summed."""
import subprocess
from pathlib import Path

from bench.standin import JVM_OPTIONS, pause_summary, pauses_between, stack_jvm_options
from services.shared.config import ROOT

YOUNG = ("[2026-12-03T11:00:{s:06.3f}+0000][info][gc          ] GC({n}) Pause Young (Normal) "
         "(G1 Evacuation Pause) 412M->246M(1004M) {ms}ms")


def test_the_bench_starts_the_stand_in_with_the_options_dev_stack_sh_uses(tmp_path: Path):
    assignment = next(line for line in (ROOT / "dev" / "stack.sh").read_text().splitlines()
                      if line.startswith("MONGO_JAVA_OPTS="))
    options = tmp_path / JVM_OPTIONS.name  # dev/stack.sh's line run on a file of our own
    options.write_text("# why, with a '#' and a -Xmx9g in it\n-Xmx1g -XX:+UseParallelGC\n"
                       "  -XX:+ExitOnOutOfMemoryError # and a comment at a line's end\n")
    script = f'MONGO_SRC={tmp_path}; {assignment}; printf "%s\\n" $MONGO_JAVA_OPTS'
    from_shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                check=True).stdout.split()
    assert from_shell == stack_jvm_options(options) == [
        "-Xmx1g", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError"]
    assert "-Xmx2g" in stack_jvm_options()  # the checkout's own file


def test_the_pauses_of_a_window_are_counted_with_their_percentiles(tmp_path: Path):
    log = tmp_path / "gc.log"
    ends = [(1.0, 5), (2.0, 10), (3.0, 30), (4.0, 20), (9.0, 400)]  # (second, ms)
    log.write_text("\n".join(YOUNG.format(s=s, n=n, ms=ms) for n, (s, ms) in enumerate(ends)))
    start = pauses_between(log, 0, 1e12)[0].end  # 11:00:01 as an epoch second
    window = pauses_between(log, start + 0.5, start + 3.5)  # the pauses ending at 2, 3, 4 s
    assert [p.ms for p in window] == [10, 30, 20]
    assert pause_summary(window, 3.0) == ("3 pauses, 60 ms in all, p50 20 / p90 30 / max 30 ms, "
                                          "one every 1.0 s")
    assert pause_summary([], 3.0) == "no pauses"
