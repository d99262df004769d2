import os
import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = ["pytester", "support.pg", "support.slurm_lab", "support.order"]


@pytest.fixture(autouse=True)
def _jobs_can_reach_tmp_path(tmp_path: Path) -> None:
    """Local jobs run as their own unprivileged accounts when the tests run as root (CI),
    and must pass through the test's folders to reach their work directories: open
    tmp_path and the folders above it to others for passing (o+x, not listing)."""
    if os.geteuid() != 0:
        return
    for folder in [tmp_path, *tmp_path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
