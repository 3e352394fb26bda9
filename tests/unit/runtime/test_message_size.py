"""The one gRPC message limit: read and validated like every setting; gRPC's own size refusals named by side."""
import grpc
import pytest

from kernel.errors import TooLarge
from leaf.calc.v1 import calc_pb2
from runtime.message_size import channel_options, require_fits, too_large_of
from runtime.settings import DEFAULT_MAX_MESSAGE_BYTES, LeafSettings, SettingsError, load_settings


def test_the_default_is_16_mib_for_both_directions(monkeypatch):
    monkeypatch.delenv("LEAF_GRPC_MAX_MESSAGE_BYTES", raising=False)
    limit = load_settings(LeafSettings).LEAF_GRPC_MAX_MESSAGE_BYTES
    assert limit == DEFAULT_MAX_MESSAGE_BYTES == 16 * 1024 * 1024
    assert dict(channel_options(limit)) == {"grpc.max_receive_message_length": limit,
                                            "grpc.max_send_message_length": limit}


@pytest.mark.parametrize("value", ["lots", "100", str(2**31)])
def test_a_bad_value_stops_the_start_naming_the_setting(monkeypatch, capsys, value):
    monkeypatch.setenv("LEAF_GRPC_MAX_MESSAGE_BYTES", value)
    with pytest.raises(SettingsError):
        load_settings(LeafSettings)
    assert "LEAF_GRPC_MAX_MESSAGE_BYTES" in capsys.readouterr().err


def test_a_reply_over_the_limit_is_result_too_large_before_it_is_sent():
    run = calc_pb2.Run(run_id="run_x", result_json=b"x" * 2000)
    assert require_fits(run, 4096, "run run_x") is run
    with pytest.raises(TooLarge) as refused:
        require_fits(run, 1024, "run run_x")
    assert refused.value.code == "result_too_large" and "LEAF_GRPC_MAX_MESSAGE_BYTES" in refused.value.message


def _failure(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


@pytest.mark.parametrize("details, reason", [
    ("Stream removed (CLIENT: Received message larger than max (5003 vs. 1000))", "result_too_large"),
    ("SERVER: Sent message larger than max (5003 vs. 1000)", "result_too_large"),
    ("SERVER: Received message larger than max (5003 vs. 1000)", "request_too_large"),
    ("CLIENT: Sent message larger than max (5003 vs. 1000)", "request_too_large"),
])
def test_grpc_size_refusals_name_whose_message_was_too_large(details, reason):
    assert too_large_of(_failure(grpc.StatusCode.RESOURCE_EXHAUSTED, details)).code == reason


def test_other_failures_are_left_to_the_error_table():
    assert too_large_of(_failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota exceeded")) is None
    assert too_large_of(_failure(grpc.StatusCode.INTERNAL, "SERVER: Sent message larger than max (1 vs. 0)")) is None
