"""Running a child process with a time limit, without ``time.sleep``.

``subprocess.run(timeout=...)`` polls with ``time.sleep``, which fails (EINVAL) when the
machine's clock is moved with libfaketime, as the suite is run to prove it does not depend on
today's date. A timer thread that kills the child serves the same purpose.
"""

from __future__ import annotations

import subprocess
import threading
from typing import Any


def run(args: list[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(args, capture_output=True, text=True)``, killed after ``timeout`` s."""
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    ) as process:
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            out, err = process.communicate()
        finally:
            timer.cancel()
        code = process.poll()
    assert code is not None
    return subprocess.CompletedProcess(args, code, out, err)
