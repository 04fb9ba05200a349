"""bench/processes.py's broker: the process listening on the AMQP port the bench talks to, not the
first `beam.smp` on the machine (several brokers run side by side: the shared one, engineers')."""
import os
import socket
import subprocess
import sys

from bench.processes import broker_pid


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
