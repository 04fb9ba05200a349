"""`agora mask-at-rest` takes conversations only (the one service storing members' private texts):
another name gets the operator's sentence and exit status 2, not a traceback nor a pass over a
database that holds no such text (no infrastructure needed)."""
from __future__ import annotations

import os
import subprocess
import sys


def test_mask_at_rest_names_the_one_service_it_takes():
    result = subprocess.run([sys.executable, "-m", "services.ops.cli", "mask-at-rest", "posts"],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={**os.environ, "AGORA_LANGUAGE": "en"})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == ("unknown service 'posts' for this command; one of: "
                                     "conversations")
