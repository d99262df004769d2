"""The dataset rules: copies and residency, what placement needs, the job's environment."""

from __future__ import annotations

import pytest

from nacc.domain.datasets import (
    Copy,
    Residency,
    Used,
    check_copies,
    env_for,
    env_key,
    needs,
)
from nacc.domain.errors import InputError

SITES = {"seoul": True, "daejeon": True, "us-east": False}


def test_domestic_data_only_at_domestic_sites() -> None:
    check_copies("kor-med", Residency.DOMESTIC, [Copy("seoul", "/d/kor-med")], SITES)
    check_copies("web", Residency.ANY, [Copy("us-east", "/d/web")], SITES)
    with pytest.raises(InputError) as abroad:
        check_copies("kor-med", Residency.DOMESTIC,
                     [Copy("seoul", "/d/a"), Copy("us-east", "/d/b")], SITES)  # fmt: skip
    assert abroad.value.where == "body.copies[1].site"
    assert "not a domestic site" in str(abroad.value)
    cases = [
        ([], "body.copies"),
        ([Copy("mars", "/d")], "body.copies[0].site"),
        ([Copy("seoul", "/a"), Copy("seoul", "/b")], "body.copies[1].site"),
        ([Copy("seoul", "relative/path")], "body.copies[0].path"),
    ]
    for copies, where in cases:
        with pytest.raises(InputError) as bad:
            check_copies("x", Residency.ANY, copies, SITES)
        assert bad.value.where == where, copies


def test_needs_and_environment() -> None:
    med = Used("kor-med", Residency.DOMESTIC, (Copy("daejeon", "/dj/med"), Copy("seoul", "/s/med")))
    web = Used("web-text.v2", Residency.ANY, (Copy("seoul", "/s/web"),))
    assert needs([]).domestic_only is False and needs([]).sites == frozenset()
    both = needs([med, web])
    assert both.domestic_only and both.sites == {"seoul"}  # the site holding both
    apart = needs([Used("a", Residency.ANY, (Copy("daejeon", "/a"),)), web])
    assert not apart.domestic_only and apart.sites == {"daejeon", "seoul"}  # none holds both
    assert env_key("web-text.v2") == "NACC_DATASET_WEB_TEXT_V2"
    assert env_for([med, web], "seoul") == {
        "NACC_DATASET_KOR_MED": "/s/med", "NACC_DATASET_KOR_MED_SITE": "seoul",
        "NACC_DATASET_WEB_TEXT_V2": "/s/web", "NACC_DATASET_WEB_TEXT_V2_SITE": "seoul",
    }  # fmt: skip
    # a site without a copy: the first copy's path, and the site it is at
    assert env_for([med], "busan") == {"NACC_DATASET_KOR_MED": "/dj/med",
                                       "NACC_DATASET_KOR_MED_SITE": "daejeon"}  # fmt: skip
