"""nn.state: state dicts as plain JSON data, save/load, and loading that never half-loads."""

import copy
import json
import math
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

from tracegrad import nn
from tracegrad.nn import MLP

NETWORK_221_STATE = {
    "format": "tracegrad.MLP",
    "version": 1,
    "nin": 2,
    "nouts": [2, 1],
    "activations": ["relu", "linear"],
    "weights": [[[0.4, 0.2], [0.3, 0.7]], [[0.6, 0.9]]],
    "biases": [[0.1, -0.3], [0.2]],
}


def network_221_model():
    return MLP.from_weights(NETWORK_221_STATE["weights"], NETWORK_221_STATE["biases"])


def test_state_dict_is_plain_json_data_with_the_architecture():
    state = network_221_model().state_dict()
    assert state == NETWORK_221_STATE
    assert json.loads(json.dumps(state)) == state
    assert nn.state_dict(network_221_model()) == state


def test_a_saved_model_loads_back_to_identical_predictions(tmp_path):
    model = MLP(2, [8, 8, 3], activation="tanh", output_activation="sigmoid", seed=4)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MLP.load(path)
    assert loaded.weights() == model.weights()  # exactly: JSON keeps every digit
    assert loaded.biases() == model.biases()
    assert repr(loaded) == repr(model)
    for x in ([0.1, -0.2], [3.0, 1.5], [-7.25, 0.0]):
        assert [v.data for v in loaded(x)] == [v.data for v in model(x)]
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]
    assert nn.load(str(path)).weights() == model.weights()


def test_load_state_dict_copies_parameters_into_a_model_of_the_same_shape():
    model = MLP(2, [2, 1], seed=0)
    model.load_state_dict(NETWORK_221_STATE)
    assert model([0.5, 0.1]).data == pytest.approx(0.392, rel=1e-12)
    assert MLP.from_state_dict(NETWORK_221_STATE).weights() == NETWORK_221_STATE["weights"]


def broken(path, value):
    """NETWORK_221_STATE with the entry at ``path`` (a tuple of keys/indexes) replaced, or deleted."""
    state = copy.deepcopy(NETWORK_221_STATE)
    *parents, last = path
    target = state
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return state


DELETE = object()


@pytest.mark.parametrize("path, value, error, message", [
    (("weights", 1, 0, 1), "0.9", TypeError, r"weights\[1\]\[0\]\[1\] must be a number, got '0.9' \(str\)"),
    (("weights", 1, 0, 1), None, TypeError, r"weights\[1\]\[0\]\[1\] must be a number, got None"),
    (("weights", 0, 1), [0.3], ValueError, r"weights\[0\]\[1\] must have 2 numbers, got 1"),
    (("weights", 1), [[0.6, 0.9], [1.0, 1.0]], ValueError, r"weights\[1\] must have 1 rows"),
    (("biases", 0, 0), True, TypeError, r"biases\[0\]\[0\] must be a number, got True \(bool\)"),
    (("biases", 1, 0), math.inf, ValueError, r"biases\[1\]\[0\] must be finite"),
    pytest.param(("biases", 1, 0), 10**400, ValueError,
                 r"biases\[1\]\[0\] must be finite, got an integer too large", id="int-beyond-float"),
    (("biases",), DELETE, ValueError, "missing key 'biases'"),
    (("extra",), 1, ValueError, "unexpected key 'extra'"),
    (("format",), "pytorch", ValueError, r"state_dict\['format'\] must be 'tracegrad.MLP'"),
    (("version",), 2, ValueError, "this tracegrad reads version 1"),
    (("nin",), "2", TypeError, r"state_dict\['nin'\] must be a positive int"),
    (("nouts", 0), 0, ValueError, r"state_dict\['nouts'\]\[0\] must be a positive int, got 0"),
    (("activations", 1), "softmax", ValueError, r"state_dict\['activations'\]\[1\] must be one of"),
    (("activations",), ["relu"], ValueError, r"state_dict\['activations'\] must be a list of 2 names"),
])
def test_malformed_state_dicts_are_rejected_with_the_offending_key(path, value, error, message):
    with pytest.raises(error, match=message):
        MLP.from_state_dict(broken(path, value))
    model = network_221_model()
    before = model.state_dict()
    with pytest.raises(error, match=message):
        model.load_state_dict(broken(path, value))
    assert model.state_dict() == before


def test_loading_never_half_loads():
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    # the first layer is fine; only the last number of the last layer is wrong
    with pytest.raises(TypeError, match=r"biases\[1\]\[0\]"):
        model.load_state_dict(broken(("biases", 1, 0), "oops"))
    assert model.state_dict() == before


@pytest.mark.parametrize("model, message", [
    (MLP(2, [3, 1], seed=0), r"nouts is \[2, 1\] in the state dict, \[3, 1\] in the model"),
    (MLP(3, [2, 1], seed=0), "nin is 2 in the state dict, 3 in the model"),
    (MLP(2, [2, 1], activation="tanh", seed=0), r"activations is \['relu', 'linear'\] in the state dict"),
])
def test_a_state_dict_for_another_architecture_does_not_fit(model, message):
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(NETWORK_221_STATE)


def test_load_errors_name_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "tracegrad.MLP", "nin": 2,', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json is not a saved model: invalid JSON at line 1"):
        MLP.load(path)
    # a file's contents are never a TypeError: whatever is wrong in it, it is a malformed file
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json: a state_dict must be a dict, got list"):
        MLP.load(path)
    path.write_text(json.dumps(broken(("weights", 0, 0, 0), "x")), encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json: state_dict: weights\[0\]\[0\]\[0\] must be a number"):
        MLP.load(path)
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "missing.json")


def test_a_failed_save_leaves_no_temporary_file(tmp_path):
    folder = tmp_path / "model.json"
    folder.mkdir()  # the rename onto a folder fails after the temporary file is written
    with pytest.raises(OSError):
        network_221_model().save(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_save_refuses_a_diverged_model_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    model = network_221_model()
    model.save(path)
    saved = path.read_text(encoding="utf-8")
    model.layers[1].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match="non-finite parameter: L2.N0.b is nan"):
        model.save(path)
    assert path.read_text(encoding="utf-8") == saved


# --- save: a unique temporary file beside the model, renamed over it in one step ---------------


def test_save_leaves_a_users_file_named_like_a_temporary_alone(tmp_path):
    path = tmp_path / "model.json"
    mine = tmp_path / "model.json.tmp"
    mine.write_text("my notes", encoding="utf-8")
    network_221_model().save(path)
    assert mine.read_text(encoding="utf-8") == "my notes"
    assert MLP.load(path).weights() == NETWORK_221_STATE["weights"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_save_never_writes_through_a_symlink_planted_beside_the_model(tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not yours", encoding="utf-8")
    path = tmp_path / "model.json"
    (tmp_path / "model.json.tmp").symlink_to(outside)
    network_221_model().save(path)
    assert outside.read_text(encoding="utf-8") == "not yours"
    assert path.is_file() and not path.is_symlink()
    assert MLP.load(path).weights() == NETWORK_221_STATE["weights"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saving_again_keeps_the_files_permissions(tmp_path):
    path = tmp_path / "model.json"
    model = network_221_model()
    model.save(path)
    path.chmod(0o600)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_file_gets_the_usual_permissions_from_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        network_221_model().save(tmp_path / "model.json")
        open(tmp_path / "plain.txt", "w").close()  # what open() gives a new file, for reference
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o640


def test_save_flushes_the_file_to_disk_before_renaming_it(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(nn.state.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(nn.state.os, "replace",
                        lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    network_221_model().save(tmp_path / "model.json")
    assert events == ["fsync", "replace"]


def test_a_save_that_fails_midway_keeps_the_old_file_and_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    network_221_model().save(path)
    saved = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nn.state.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [2, 1], seed=5).save(path)
    assert path.read_bytes() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_saving_into_a_missing_folder_names_the_path_asked_for(tmp_path):
    path = tmp_path / "nowhere" / "model.json"
    with pytest.raises(FileNotFoundError) as caught:
        network_221_model().save(path)
    assert caught.value.filename == str(path)
    assert str(path) in str(caught.value) and ".tmp" not in str(caught.value)


def test_threads_saving_to_one_path_while_another_loads_it(tmp_path):
    path = tmp_path / "model.json"
    models = [MLP(2, [16, 16, 1], seed=s) for s in (1, 2)]
    models[0].save(path)
    expected = [m.weights() for m in models]
    errors, seen = [], []

    def saver(model):
        try:
            for _ in range(40):
                model.save(path)
        except Exception as error:  # noqa: BLE001 -- reported below, with the others
            errors.append(error)

    def loader():
        try:
            for _ in range(80):
                seen.append(MLP.load(path).weights())
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=saver, args=(m,)) for m in models] + [threading.Thread(target=loader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 80 and all(weights in expected for weights in seen)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


_SAVE_FOREVER = """
import sys
from tracegrad.nn import MLP
models = [MLP(2, [64, 64, 1], seed=s) for s in (1, 2)]
models[0].save(sys.argv[1])
print("saved", flush=True)
while True:
    for model in models:
        model.save(sys.argv[1])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
@pytest.mark.parametrize("delay", [0.0, 0.013, 0.031, 0.057, 0.09])
def test_a_save_killed_midway_leaves_a_loadable_file(tmp_path, delay):
    path = tmp_path / "model.json"
    child = subprocess.Popen([sys.executable, "-c", _SAVE_FOREVER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "saved\n"
        time.sleep(delay)  # lands somewhere in a later save: the test asserts nothing about time
    finally:
        child.kill()  # SIGKILL: no cleanup runs in the child
        child.wait(timeout=60)
        child.stdout.close()
    assert MLP.load(path).nouts == [64, 64, 1]


# --- load: every malformed file is a ValueError naming the file and what is wrong -------------

GOOD_TEXT = json.dumps(NETWORK_221_STATE)


@pytest.mark.parametrize("content, message", [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "nests too deeply", id="deep-json"),  # was RecursionError
    pytest.param(json.dumps(broken(("biases", 1, 0), [[[[[[[0.2]]]]]]])).encode(), "nests lists or dicts more than 4",
                 id="deep-entry"),
    pytest.param(GOOD_TEXT.replace('"nin": 2', '"nin": ' + "9" * 5000).encode(), "whole number of 5000 digits",
                 id="5000-digit-integer"),  # was a bare ValueError without the file's name
    pytest.param(GOOD_TEXT.replace('"relu"', '"r\xe9lu"').encode("latin-1"), r"not UTF-8 text \(byte 0xe9 at offset",
                 id="latin-1"),  # was UnicodeDecodeError
    pytest.param(b"\xff\xfe" + GOOD_TEXT.encode("utf-16-le"), r"not UTF-8 text \(byte 0xff at offset 0\)", id="utf-16"),
    pytest.param(GOOD_TEXT.replace('"nin": 2', '"nin": 3, "nin": 2').encode(), "key 'nin' appears twice",
                 id="duplicate-key"),  # loaded silently, the last one winning
    pytest.param(GOOD_TEXT.replace('"weights": [[[0.4', '"weights": [[[{"a": 1, "a": 2}').encode(),
                 "key 'a' appears twice", id="duplicate-inner-key"),
    pytest.param(GOOD_TEXT.replace("0.4", "NaN").encode(), r"weights\[0\]\[0\]\[0\] must be finite", id="nan"),
    pytest.param(GOOD_TEXT.replace("0.4", "1e999").encode(), r"weights\[0\]\[0\]\[0\] must be finite", id="1e999"),
    pytest.param(b"", "invalid JSON at line 1, column 1", id="empty"),
    pytest.param(b"\x00" * 100, "invalid JSON at line 1, column 1", id="nul-bytes"),
    pytest.param(GOOD_TEXT.encode() + b"\n{}", "invalid JSON at line 2", id="two-documents"),
    pytest.param(b'"tracegrad.MLP"', "a state_dict must be a dict, got str", id="a-string"),
    pytest.param(GOOD_TEXT.replace('"tracegrad.MLP"', '"' + "x" * 1_000_000 + '"').encode(),
                 r"state_dict\['format'\] must be 'tracegrad.MLP', got 'xxx", id="megabyte-string"),
    pytest.param(GOOD_TEXT.replace('"relu"', "[" + "1, " * 100_000 + "1]").encode(),
                 r"state_dict\['activations'\]\[0\] must be one of", id="long-list"),
])
def test_malformed_files_are_a_value_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as caught:
        MLP.load(path)
    assert str(caught.value).startswith(str(path))
    assert len(str(caught.value)) < 600  # one readable line, whatever size the bad entry had
    assert caught.type in (ValueError, json.JSONDecodeError)  # never TypeError, RecursionError, ...


def test_the_file_that_save_writes_loads_whatever_its_size_within_the_limit(tmp_path):
    path = tmp_path / "model.json"
    model = MLP(2, [64, 64, 1], seed=3)
    model.save(path)
    assert path.stat().st_size < nn.state.MAX_FILE_BYTES
    assert MLP.load(path).weights() == model.weights()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(nn.state.MAX_FILE_BYTES + 1)  # sparse: no disk space, no time
    with pytest.raises(ValueError, match=r"huge.json is 33,554,433 bytes; a saved model is at most 33,554,432"):
        MLP.load(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_file_is_read_only_up_to_the_limit():
    with pytest.raises(ValueError, match="/dev/zero is more than 33,554,432 bytes"):
        MLP.load("/dev/zero")


def test_save_refuses_a_model_whose_file_load_would_refuse(tmp_path, monkeypatch):
    monkeypatch.setattr(nn.state, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "model.json"
    with pytest.raises(ValueError, match=r"this model's file would be [\d,]+ bytes; load\(\) reads at most 1,000"):
        MLP(2, [16, 1], seed=0).save(path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("entry", [
    pytest.param("deep", id="nested-100000-deep"),
    pytest.param("cycle", id="a-list-that-holds-itself"),
])
def test_load_state_dict_refuses_deep_nesting_and_leaves_the_model_untouched(entry):
    value = []
    if entry == "deep":
        for _ in range(100_000):
            value = [value]
    else:
        value.append(value)
    model = network_221_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match="nests lists or dicts more than 4 levels deep"):
        model.load_state_dict(broken(("weights", 0, 0, 0), value))
    assert model.state_dict() == before
    with pytest.raises(ValueError, match="nests lists or dicts more than 4 levels deep"):
        MLP.from_state_dict(broken(("biases",), value))


def test_save_works_for_every_name_the_file_system_accepts(tmp_path):
    for name in ("b" * 245 + ".json", "é" * 120 + ".json"):  # 250 characters; 245 bytes in UTF-8
        path = tmp_path / name
        network_221_model().save(path)
        assert MLP.load(path).weights() == NETWORK_221_STATE["weights"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]
        path.unlink()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_save_to_a_symlink_writes_the_file_it_points_to_and_keeps_the_link(tmp_path):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "current.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "model.json"
    link.symlink_to(target)
    network_221_model().save(link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert MLP.load(target).weights() == NETWORK_221_STATE["weights"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "models"]
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["current.json"]
