"""Device variables of local jobs: GPUs by machine index, NPUs by their vendor's
variable with pool-local indices."""

from nacc.adapters.dispatch.device_env import device_variables


def test_gpus_keep_machine_indices() -> None:
    got = device_variables("H100-SXM", ["2", "3"], ["3"], "CUDA_VISIBLE_DEVICES")
    assert got == {"CUDA_VISIBLE_DEVICES": "3"}


def test_npus_get_their_vendor_variable_and_pool_local_ids() -> None:
    furiosa = device_variables("RNGD", ["4", "5", "6"], ["5", "6"], "CUDA_VISIBLE_DEVICES")
    assert furiosa == {"FURIOSA_VISIBLE_DEVICES": "1,2", "CUDA_VISIBLE_DEVICES": ""}
    rbln = device_variables("ATOM", ["8", "9"], ["8"], "CUDA_VISIBLE_DEVICES")
    assert rbln == {"RBLN_DEVICES": "0", "CUDA_VISIBLE_DEVICES": ""}
