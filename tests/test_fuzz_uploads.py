"""A bounded fuzz run over structured hostile uploads (the generator in tests/upload_fuzz.py): every case ends
accepted or in the pipeline's own refusal, within its time and memory budget, never in an error of ours."""

from app.config import UploadLimits
from tests.upload_fuzz import cases, demo_laser, run_case, warm_up

CASES = 200  # about a minute on the 2-core reference machine; bench/fuzz.py runs 10,000
SEED = 20261201


def test_structured_hostile_uploads_are_accepted_or_refused_within_budget() -> None:
    limits = UploadLimits()
    laser = demo_laser()
    warm_up()
    outcomes = [run_case(case, laser, limits) for case in cases(CASES, SEED)]
    errors = [
        f"{o.case.number} {o.case.fmt} {o.case.mutation}: {o.detail}" for o in outcomes if o.kind == "internal error"
    ]
    assert errors == []
    slow = [(o.case.number, o.case.mutation, round(o.seconds, 1)) for o in outcomes if o.over_budget]
    assert slow == []
    assert all(o.peak_mb <= limits.memory_mb + 400 for o in outcomes)  # the limit is on top of the program itself
    kinds = {o.kind for o in outcomes}
    assert kinds == {"accepted", "refused"}  # the generator reaches both sides, not only the first check
    assert {o.case.fmt for o in outcomes if o.kind == "accepted"} == {"stl", "obj", "3mf", "svg"}
