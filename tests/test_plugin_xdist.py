"""A downstream suite under pytest-xdist (``-n 2``), in a subprocess as CI would run it: each worker
has its own state, nothing is shared (no ports, no files), seeds reproduce across processes."""

from __future__ import annotations

import pytest

from fake_trunking import FakeTrunkingService

pytest_plugins = ["pytester"]


def test_downstream_suite_under_xdist(pytester: pytest.Pytester) -> None:
    with FakeTrunkingService(seed=21) as fake:
        expected = fake.client().trunking.v1.trunks.create(friendly_name="x").sid
    pytester.makepyfile(
        test_parallel=f"""
        import os

        import pytest

        @pytest.mark.parametrize("n", range(8))
        @pytest.mark.fake_trunking(seed=21)
        def test_each_test_has_its_own_fake(trunking_client, fake_trunking, n):
            assert os.environ["PYTEST_XDIST_WORKER"] in ("gw0", "gw1")
            created = trunking_client.trunking.v1.trunks.create(friendly_name=f"t{{n}}")
            assert created.sid == {expected!r}  # same seed, same SID, in any process
            assert len(trunking_client.trunking.v1.trunks.list()) == 1  # nobody else's
            fake_trunking.inject_fault(503, method="GET")
            with pytest.raises(Exception):
                trunking_client.trunking.v1.trunks.list()
            assert [c.status for c in fake_trunking.calls] == [201, 200, 503]
        """
    )
    result = pytester.runpytest_subprocess(
        "-n", "2", "-v", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*[[]gw0[]]*PASSED*"])
    result.stdout.fnmatch_lines(["*[[]gw1[]]*PASSED*"])
    assert not list(pytester.path.glob("cassettes"))  # mode fake writes nothing
