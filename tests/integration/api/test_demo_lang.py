"""What ``nacc serve --demo`` says it seeded (people with their tokens, each call's
decisions, how to log in) in Korean and English: the lines from the seeded data on the
in-memory store, and a real ``nacc --lang ko serve --demo`` as ``make run`` starts it."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_crash_safety import NACC, START_S, _healthy, _port

from nacc.adapters.store.memory import MemoryStore
from nacc.cli import say
from nacc.cli.serve import demo_lines
from nacc.service import demo
from nacc.service.context import Services
from support.waiting import wait_until

URL = "http://127.0.0.1:8123"


def _lines(seeded: demo.Seeded, lang: str) -> list[str]:
    say.set_language(lang)
    try:
        return demo_lines(seeded, URL)
    finally:
        say.set_language(None)


def test_the_seeded_lines_in_both_languages() -> None:
    svc = Services(None, lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC), store=MemoryStore())
    seeded = demo.seed(svc)
    ko, en = _lines(seeded, "ko"), _lines(seeded, "en")
    person = seeded.people[0]
    assert f"demo token  {person.name:<34} {person.email:<30} {person.token}" in en
    assert f"데모 토큰  {person.name:<34} {person.email:<30} {person.token}" in ko
    assert any(line.startswith("데모 공모   ") and "크레딧 (절반은 지금 지급했어요)" in line
               for line in ko)  # fmt: skip
    assert any(line.startswith("demo call   ") and "credits (half released now)" in line
               for line in en)  # fmt: skip
    assert ko[-1] == f"데모: 로그인하려면 `nacc login --url {URL} --token <토큰>`을 실행하세요"
    english = ("demo token", "demo call", "credits", "log in", "not awarded", "project ")
    assert not [line for line in ko if any(word in line for word in english)]
    again = demo.seed(svc)
    assert again.already and _lines(again, "ko") == [
        "데모: 데이터베이스에 이미 사용자가 있어서 아무것도 만들지 않았어요 "
        "(토큰은 처음 만들 때 한 번만 보여 줘요)"
    ]


@pytest.mark.slow  # a real `nacc serve --demo` start
def test_nacc_serve_demo_in_korean(tmp_path: Path) -> None:
    port, log = _port(), tmp_path / "serve.log"
    env = {**os.environ, "NACC_HOME": str(tmp_path / "home"), "NACC_NO_SCHEDULER": "1",
           "NACC_DEMO_SLURM": "off", "LANG": "ko_KR.UTF-8"}  # fmt: skip
    for name in ("NACC_DATABASE_URL", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    with log.open("wb") as out:
        proc = subprocess.Popen([NACC, "serve", "--demo", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: _healthy(port), START_S, "the demo server to answer", every=0.2)
        text = log.read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert "데모 토큰  Operator" in text and "데모 공모   " in text, text
    assert f"--url http://127.0.0.1:{port} --token <토큰>" in text
    assert f"http://127.0.0.1:{port}에서 서비스 중" in text
    assert "demo token" not in text and "demo call" not in text
