"""A job the local dispatcher stopped just before the service went down, before the
tick that stopped it was written (the service still records it running): a restart
settles it as ended when it was stopped, not as lost without a trace."""

from __future__ import annotations

import time
from pathlib import Path

from nacc.adapters.dispatch.local import LocalDispatcher
from nacc.bootstrap import local_pools
from nacc.domain.ids import JobId
from nacc.domain.jobs import JobClass, JobSpec
from nacc.ports import Launch, Outcome, Payload


def test_a_stop_the_service_did_not_record_is_recovered_as_ended(tmp_path: Path) -> None:
    pools, ids = local_pools({"H100-SXM": 1})
    first = LocalDispatcher(ids, tmp_path)
    spec = JobSpec(JobId("j1"), 0, 1, JobClass.INFERENCE, 60.0, "p")
    now = time.time()
    first.launch(Launch(spec, pools[0], 1, now, 60.0, 0.0, Payload(command="sleep 30")))
    first.flush()  # it really started (a launch not yet made is cancelled: nothing ran)
    stopped_at = now + 2.0
    first.stop(JobId("j1"), stopped_at)  # the service dies before writing this down
    first.flush()  # its launcher wrote the stop into state.json (it does so after a crash too)
    again = LocalDispatcher(ids, tmp_path)
    [rec] = again.recover([JobId("j1")], stopped_at + 10)
    assert rec.state == "ended" and rec.observation is not None
    assert rec.observation.at == stopped_at and rec.observation.outcome is Outcome.LOST
    assert "stopped" in rec.note
