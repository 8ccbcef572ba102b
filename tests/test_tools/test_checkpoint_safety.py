"""Checkpoints under torch >= 2.6: weights_only everywhere, clear refusal, safe round trip."""
import collections
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from helpers.tool_runner import run_tool
from mmhpse.utils.checkpoint import (UnsafeCheckpointError, decode_safe, encode_safe,
                                     load_external_checkpoint)


class NotATensor:
    """Any class: unpickling it means running code named by the file."""

    def __init__(self, value):
        self.value = value


def test_external_checkpoint_with_a_pickled_object_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': NotATensor(3)}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_external_checkpoint(path)
    message = str(err.value)
    assert path in message
    assert 'NotATensor' in message
    assert 'weights_only=True' in message
    assert 'sanitize_checkpoint.py' in message


def test_mmengine_loaders_go_through_the_safe_loader(tmp_path):
    import mmhpse  # noqa: F401  (installs the loader)
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': NotATensor(3)}, path)
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(path, map_location='cpu')


def test_plain_weights_load_and_missing_file_is_named(tmp_path):
    path = str(tmp_path / 'plain.pth')
    torch.save({'state_dict': collections.OrderedDict(w=torch.arange(3.0))}, path)
    loaded = load_external_checkpoint(path)
    assert torch.equal(loaded['state_dict']['w'], torch.arange(3.0))
    assert isinstance(loaded['state_dict'], collections.OrderedDict)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_external_checkpoint(str(tmp_path / 'nope.pth'))


def test_encode_decode_round_trip_of_mmengine_objects(tmp_path):
    buf = HistoryBuffer([1.0, 2.5], [1, 2], max_length=7)
    original = {
        'meta': {'seed': np.int64(3), 'sigmas': np.array([0.1, 0.2], dtype=np.float32),
                 'names': np.array(['a', 'bc']), 'pair': (1, 'x'), 'ids': {4, 5},
                 'lr': np.float32(0.5), 'eta': np.float64(2.5), 'tag': np.str_('x')},
        'message_hub': {'log_scalars': collections.OrderedDict(loss=buf)},
        'state_dict': collections.OrderedDict(w=torch.ones(2)),
    }
    path = str(tmp_path / 'safe.pth')
    torch.save(encode_safe(original), path)
    torch.load(path, weights_only=True)  # loads without arbitrary unpickling
    back = load_external_checkpoint(path)
    assert back['meta']['seed'] == 3 and back['meta']['seed'].dtype == np.int64
    np.testing.assert_array_equal(back['meta']['sigmas'], original['meta']['sigmas'])
    assert back['meta']['sigmas'].dtype == np.float32
    np.testing.assert_array_equal(back['meta']['names'], original['meta']['names'])
    assert back['meta']['pair'] == (1, 'x') and back['meta']['ids'] == {4, 5}
    assert type(back['meta']['eta']) is np.float64 and back['meta']['eta'] == 2.5
    assert type(back['meta']['tag']) is np.str_
    restored = back['message_hub']['log_scalars']['loss']
    assert isinstance(restored, HistoryBuffer) and restored.max_length == 7
    np.testing.assert_array_equal(restored.data[0], [1.0, 2.5])
    np.testing.assert_array_equal(restored.data[1], [1, 2])
    assert decode_safe({'a': [1, (2, 3)]}) == {'a': [1, (2, 3)]}


def test_encode_refuses_objects_it_cannot_store_safely():
    with pytest.raises(TypeError, match=r'checkpoint\.meta\.thing holds a .*NotATensor'):
        encode_safe({'meta': {'thing': NotATensor(1)}})


def test_sanitize_tool_converts_a_trusted_file(tmp_path):
    src, dst = str(tmp_path / 'old.pth'), str(tmp_path / 'new.pth')
    # What plain mmengine writes: a pickled HistoryBuffer in the message hub.
    torch.save({'state_dict': {'w': torch.ones(1)},
                'message_hub': {'log_scalars': {'loss': HistoryBuffer([1.0], [1])}}}, src)
    with pytest.raises(pickle.UnpicklingError):
        load_external_checkpoint(src)
    with pytest.raises(AssertionError, match='--trust'):
        run_tool(['tools/model_converters/sanitize_checkpoint.py', src, dst])
    run_tool(['tools/model_converters/sanitize_checkpoint.py', src, dst, '--trust'])
    loaded = load_external_checkpoint(dst)
    assert isinstance(loaded['message_hub']['log_scalars']['loss'], HistoryBuffer)
