"""Zoo models by name: a local zoo folder (metafile + config + published weights) found by
``find_model``, loaded by ``init_model(name)`` and the demo."""
import hashlib
import os.path as osp
import sys

import pytest
import torch
import yaml

from mmhpse.apis import find_model, init_model, list_models
from mmhpse.study.publish import write_metafile_entry

sys.path.insert(0, osp.dirname(__file__))
from test_inference import save_trained, write_config  # noqa: E402

from helpers.tool_runner import load_tool  # noqa: E402


@pytest.fixture(scope='module')
def zoo(tmp_path_factory, surrogate_body_model_dir):
    """A local zoo with one published model, as the quickstart writes it."""
    work = tmp_path_factory.mktemp('run')
    config = write_config(work, surrogate_body_model_dir)
    state = save_trained(config, str(work / 'epoch_3.pth'))
    folder = tmp_path_factory.mktemp('zoo')
    weights = load_tool('tools/model_converters/publish_model.py').publish(str(work / 'epoch_3.pth'), str(folder),
                                      config='pare_tiny_zoo', date='20261201')
    with open(config) as src, open(folder / 'pare_tiny_zoo.py', 'w') as dst:
        dst.write(src.read())
    write_metafile_entry(str(folder / 'metafile.yml'), {
        'Name': 'pare_tiny_zoo', 'In Collection': 'PARE', 'Config': 'pare_tiny_zoo.py',
        'Results': [{'Task': '3D Human Pose and Shape Estimation', 'Dataset': 'Procedural',
                     'Metrics': {'MPJPE': 1.0}}],
        'Weights': osp.basename(weights)})
    write_metafile_entry(str(folder / 'metafile.yml'), {
        'Name': 'no_weights', 'Config': 'pare_tiny_zoo.py', 'Weights': None})
    return dict(folder=str(folder), weights=weights, state=state)


def test_find_model_resolves_paths_relative_to_the_metafile(zoo):
    config, weights, entry = find_model('pare_tiny_zoo', [zoo['folder']])
    assert config == osp.join(zoo['folder'], 'pare_tiny_zoo.py')
    assert weights == zoo['weights'] and entry['Results'][0]['Metrics'] == {'MPJPE': 1.0}
    assert find_model('no_weights', [zoo['folder']])[1] is None
    # the repository's model-index is searched too
    models = list_models([zoo['folder']])
    assert 'pare_tiny_zoo' in models and 'pare_resnet50-scratch_8xb16-120e_h36m-coco' in models
    with pytest.raises(KeyError, match=r"no model named 'nope' in the zoo .*'pare_tiny_zoo'"):
        find_model('nope', [zoo['folder']])


def test_metafile_entries_are_replaced_by_name(zoo, tmp_path):
    path = str(tmp_path / 'metafile.yml')
    write_metafile_entry(path, {'Name': 'a', 'Weights': 'x.pth'})
    write_metafile_entry(path, {'Name': 'b', 'Weights': 'y.pth'})
    write_metafile_entry(path, {'Name': 'a', 'Weights': 'z.pth'})
    with open(path) as f:
        models = yaml.safe_load(f)['Models']
    assert [(m['Name'], m['Weights']) for m in models] == [('b', 'y.pth'), ('a', 'z.pth')]


def test_missing_or_remote_weights_are_clear_errors(zoo, tmp_path):
    folder = str(tmp_path)
    with open(osp.join(folder, 'm.py'), 'w') as f:
        f.write('model = None\n')
    write_metafile_entry(osp.join(folder, 'metafile.yml'),
                         {'Name': 'gone', 'Config': 'm.py', 'Weights': 'gone-12345678.pth'})
    write_metafile_entry(osp.join(folder, 'metafile.yml'),
                         {'Name': 'remote', 'Config': 'm.py',
                          'Weights': 'https://example.org/remote-12345678.pth'})
    with pytest.raises(FileNotFoundError, match='model gone: weights .*gone-12345678.pth do not'):
        find_model('gone', [folder])
    with pytest.raises(ValueError, match='download the file'):
        find_model('remote', [folder])


def test_init_model_by_name_loads_the_published_weights(zoo, monkeypatch):
    monkeypatch.setenv('MMHPSE_ZOO', zoo['folder'])
    model = init_model('pare_tiny_zoo')
    for name, value in model.state_dict().items():
        if not name.startswith('body_model.'):
            assert torch.equal(value, zoo['state'][name]), name
    # the hash in the name is checked on this path too: a changed file is refused
    from mmhpse.apis import CheckpointHashError
    with open(zoo['weights'], 'rb') as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest().startswith(zoo['weights'][-12:-4])
    try:
        with open(zoo['weights'], 'ab') as f:
            f.write(b'x')
        with pytest.raises(CheckpointHashError):
            init_model('pare_tiny_zoo')
    finally:
        with open(zoo['weights'], 'wb') as f:
            f.write(data)


def test_demo_takes_a_zoo_name(zoo, tmp_path):
    import cv2
    import numpy as np

    from helpers.tool_runner import run_tool
    img = np.full((120, 90, 3), 100, np.uint8)
    cv2.imwrite(str(tmp_path / 'p.png'), img)
    proc = run_tool(['demo/image_demo.py', str(tmp_path / 'p.png'), 'pare_tiny_zoo',
                     '--out-dir', str(tmp_path / 'out')], timeout=300,
                    env_update={'MMHPSE_ZOO': zoo['folder']})
    assert f'zoo model pare_tiny_zoo: config {zoo["folder"]}/pare_tiny_zoo.py, weights ' \
           f'{zoo["weights"]}' in proc.stdout
    assert (tmp_path / 'out' / 'p_mesh.png').is_file()
