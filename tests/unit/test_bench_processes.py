"""bench/processes.py's broker: the process listening on the AMQP port the bench talks to, not the
first `beam.smp` on the machine (several brokers run side by side: the shared one, engineers');
the whole machine's CPU, and the share of the floor a request's CPU leaves room for
(bench/load.py's `cpu_ceiling`)."""
import math
import os
import socket
import subprocess
import sys
import time

import pytest

from bench.load import Step, cpu_ceiling
from bench.processes import CORES, TICKS, MachineCpu, broker_pid


def test_the_broker_is_the_process_listening_on_the_uri_port():
    other = subprocess.Popen([sys.executable, "-c", _LISTEN], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        other_port = int(other.stdout.readline())  # another process listening: not ours
        with socket.socket() as ours:
            ours.bind(("127.0.0.1", 0))
            ours.listen()
            port = ours.getsockname()[1]
            assert broker_pid(f"amqp://guest:guest@127.0.0.1:{port}/agora-x") == os.getpid()
            assert broker_pid(f"amqp://guest:guest@localhost:{other_port}/") == other.pid
    finally:
        other.kill()
        other.wait()


def test_no_broker_for_a_port_nobody_listens_on_or_another_machine():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening
        port = closed.getsockname()[1]
        assert broker_pid(f"amqp://guest:guest@127.0.0.1:{port}/") is None
    assert broker_pid("amqp://agora:secret@rabbitmq.agora.svc:5672/agora") is None


_LISTEN = """
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print(server.getsockname()[1], flush=True)
sys.stdin.read()
"""


def test_the_machine_cpu_counts_what_a_process_burnt():
    before, burnt_from = MachineCpu.now(), time.process_time()
    while time.process_time() - burnt_from < 0.3:  # a busy loop: CPU this process uses
        pass
    after = MachineCpu.now()
    assert after.busy_since(before) >= 0.3 - 2 / TICKS  # the kernel counts in ticks
    elapsed = after.at - before.at
    assert after.rate_since(before) * elapsed == pytest.approx(after.busy_since(before))
    assert 0 < after.rate_since(before) <= CORES * 1.1


def test_a_requests_cpu_leaves_room_for_the_share_of_the_floor_a_ping_s_cpu_over_its():
    ping = Step(600.0, True, [], 5.0, cpu_ms=3.0, busy=0.95)
    mix = Step(120.0, True, [], 8.0, cpu_ms=12.0, busy=0.9)
    result = {"floor_step": ping, "mix_step": mix, "post_step": None}
    assert cpu_ceiling(result, "mix") == 0.25
    assert math.isnan(cpu_ceiling(result, "post"))  # no step measured
