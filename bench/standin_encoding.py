"""What the stand-in's commit pays per document it writes (no platform, no database server).

    python -m bench standin_encoding [--documents N] [--rounds R]

A commit writes every document of every page it rewrites (docs/performance.md, "The stand-in's
commit: encode less, encode faster"). This runs dev/mongo-server's EncodingBench in the built
stand-in's JVM: platform-shaped documents (an event's envelope with a payload, a feed entry, a
notification with a list) written two ways in alternated rounds — mongo-java-server's encoder
(the stand-in's before) and the stand-in's own (walking the entries) — and prints the median ns
a document of each and its ratio to the first. The stand-in is the one `make infra` built (this
checkout's .state/, else the main checkout's).
"""
from __future__ import annotations

import argparse
import subprocess

from tests.chaos.infra import PrivateDatabase


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench standin_encoding",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=5000, help="documents a round")
    parser.add_argument("--rounds", type=int, default=15, help="measured rounds of each way")
    args = parser.parse_args(argv or [])
    cache = PrivateDatabase.stand_in_dir()
    classes = cache / "build" / "test-classes" if cache else None
    if classes is None or not (classes / "agora" / "dev" / "EncodingBench.class").exists():
        print("no stand-in built with its EncodingBench: run `make infra` (dev/stack.sh up)")
        return
    classpath = f"{classes}:{cache / 'build' / 'mongo-stand-in.jar'}:{cache / 'lib'}/*"
    subprocess.run(["java", "-Xmx1g", "-cp", classpath, "agora.dev.EncodingBench",
                    str(args.documents), str(args.rounds)], check=True)
