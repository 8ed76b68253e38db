import pytest

from newsflow.retry import retry_delay_s
from newsflow.settings import Settings

S = Settings(retry_base_s=10, retry_max_s=100, data_dir="/tmp")


def test_backoff_doubles_with_half_of_each_step_random():
    assert [retry_delay_s(S, n, rand=lambda: 0.0) for n in (1, 2, 3)] == [5, 10, 20]
    assert [retry_delay_s(S, n, rand=lambda: 0.999999) for n in (1, 2, 3)] == pytest.approx(
        [10, 20, 40], rel=1e-4
    )


def test_backoff_is_capped():
    assert retry_delay_s(S, 12, rand=lambda: 1.0) == 100


def test_retry_after_is_a_minimum_up_to_the_cap():
    assert retry_delay_s(S, 1, requested_s=42, rand=lambda: 0.0) == 42
    assert retry_delay_s(S, 1, requested_s=1, rand=lambda: 0.0) == 5
    assert retry_delay_s(S, 1, requested_s=86_400, rand=lambda: 0.0) == 100


def test_jitter_spreads_retries():
    delays = {round(retry_delay_s(S, 2), 3) for _ in range(50)}
    assert len(delays) > 40 and all(10 <= d <= 20 for d in delays)
