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
from nacc.ports import Launch, Observation, Outcome, Payload
from support.waiting import wait_until


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


def test_an_end_the_service_did_not_record_is_recovered_with_its_exit_code(
    tmp_path: Path,
) -> None:
    """The dispatcher saw the job exit (state.json says so, with its code), the tick that
    said so never reached the database (its connection dropped), then the service died:
    a restart settles it as completed at its real end, never as lost."""
    pools, ids = local_pools({"H100-SXM": 1})
    first = LocalDispatcher(ids, tmp_path)
    spec = JobSpec(JobId("j2"), 0, 1, JobClass.INFERENCE, 60.0, "p")
    first.launch(Launch(spec, pools[0], 1, time.time(), 60.0, 0.0, Payload(command="exit 3")))
    seen: list[Observation] = []
    wait_until(lambda: seen.extend(first.poll(time.time() + 5)) or any(o.ended for o in seen),
               30, "j2 to end")  # fmt: skip
    [obs] = [o for o in seen if o.ended]  # after its start (the launcher reports both)
    first.flush()  # the launcher has written the end into state.json
    again = LocalDispatcher(ids, tmp_path)
    [rec] = again.recover([JobId("j2")], time.time() + 10)
    assert rec.state == "ended" and rec.observation is not None
    got = rec.observation
    assert (got.outcome, got.exit_code, got.at) == (Outcome.FAILED, 3, obs.at)
    assert got.reason is not None and got.reason.code == "exit_code"
