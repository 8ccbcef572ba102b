"""Strict checkpoint chaining: extract -> StrictPretrained loads every weight or fails at start."""
import glob
import os.path as osp
import sys

import pytest
import torch
import torchvision
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmhpse.models.backbones import IncompleteCheckpointError
from mmhpse.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
import extract_backbone  # noqa: E402


@pytest.fixture(autouse=True)
def mmhpse_scope():
    import mmhpse.models  # noqa: F401  (registers StrictPretrained)
    with DefaultScope.overwrite_default_scope('mmhpse'):
        yield


@pytest.fixture(scope='module')
def tv50_file(tmp_path_factory):
    torch.manual_seed(1)
    model = torchvision.models.resnet50(weights=None)
    with torch.no_grad():  # non-trivial BN statistics and weights, so copies are recognisable
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)
    path = tmp_path_factory.mktemp('ckpt') / 'resnet50_torchvision.pth'
    torch.save(model.state_dict(), path)
    return str(path)


def _backbone(init_cfg, depth=50):
    model = MODELS.build(dict(type='mmpretrain.ResNet', depth=depth, out_indices=(3, ),
                              init_cfg=init_cfg))
    model.init_weights()
    return model


def _assert_equal_to_source(model, source):
    own = model.state_dict()
    backbone_keys = [k for k in source if not k.startswith('fc.')]
    assert sorted(own) == sorted(backbone_keys)
    for k in backbone_keys:
        assert torch.equal(own[k], source[k]), k


def test_extract_then_strict_load_equals_source(tmp_path, tv50_file, capsys):
    out = str(tmp_path / 'backbone.pth')
    meta = extract_backbone.main([tv50_file, out, '--depth', '50'])
    assert meta['num_matched'] == meta['num_expected'] == 265
    printed = capsys.readouterr().out
    assert 'matched: 265/265 (100.0 %)' in printed and 'unexpected (dropped): 2' in printed
    saved = torch.load(out, weights_only=True)
    assert all(k.startswith('backbone.') for k in saved['state_dict'])
    # mmpretrain's ResNet zero-inits the last BN of each block (zero_init_residual=True by
    # default) after the other initialisers: the loaded weights must survive it.
    model = _backbone(dict(type='StrictPretrained', checkpoint=out, prefix='backbone.'))
    _assert_equal_to_source(model, torch.load(tv50_file, weights_only=True))


def test_raw_torchvision_file_with_detected_prefix(tv50_file):
    model = _backbone(dict(type='StrictPretrained', checkpoint=tv50_file, prefix=None))
    _assert_equal_to_source(model, torch.load(tv50_file, weights_only=True))


def test_mismatched_checkpoint_fails_listing_missing_keys(tmp_path, tv50_file):
    state = torch.load(tv50_file, weights_only=True)
    partial = {'backbone.' + k: v for k, v in state.items()
               if not k.startswith('layer4.2.') and not k.startswith('fc.')}
    path = str(tmp_path / 'partial.pth')
    torch.save({'state_dict': partial}, path)
    with pytest.raises(IncompleteCheckpointError) as err:
        _backbone(dict(type='StrictPretrained', checkpoint=path, prefix='backbone.'))
    msg = str(err.value)
    assert f'StrictPretrained: {path} does not initialise ResNet completely' in msg
    assert '15 missing keys' in msg  # 3 convs + 3 BN x (weight, bias, mean, var) in layer4.2
    for key in ('layer4.2.conv1.weight', 'layer4.2.bn3.running_var', 'layer4.2.conv3.weight'):
        assert key in msg


def test_wrong_depth_fails_with_shapes(tmp_path):
    r18 = torchvision.models.resnet18(weights=None).state_dict()
    path = str(tmp_path / 'r18.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in r18.items()}}, path)
    with pytest.raises(IncompleteCheckpointError, match=r'missing keys \[.*layer1\.0\.conv3'):
        _backbone(dict(type='StrictPretrained', checkpoint=path, prefix='backbone.'))
    with pytest.raises(IncompleteCheckpointError, match='no key starting with "module."'):
        _backbone(dict(type='StrictPretrained', checkpoint=path, prefix='module.'))


def test_plain_pretrained_only_warns(tmp_path, tv50_file):
    """The failure mode StrictPretrained exists for: mmengine's Pretrained loads half silently."""
    state = torch.load(tv50_file, weights_only=True)
    path = str(tmp_path / 'half.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in state.items()
                               if k.startswith(('conv1', 'bn1', 'layer1'))}}, path)
    model = _backbone(dict(type='Pretrained', checkpoint=path, prefix='backbone.'))
    assert torch.equal(model.state_dict()['conv1.weight'], state['conv1.weight'])
    assert not torch.equal(model.state_dict()['layer4.0.conv1.weight'],
                           state['layer4.0.conv1.weight'])


PRETRAININGS = ('random', 'imagenet', 'mocov2', 'simclr', 'byol', 'swav', 'densecl', 'detcon',
                'mocov2-coco-person', 'simclr-coco-person', 'byol-coco-person',
                'swav-coco-person', 'densecl-coco-person', 'detcon-coco-person', 'pose2d-coco19',
                'pose2d-mpii', 'surreal', 'jointcon')


@pytest.fixture(scope='module')
def tv18_files(tmp_path_factory):
    """A torchvision ResNet-18 file and its extracted backbone (the configs are built at depth
    18 to keep this test fast; the depth-50 chain is tested above)."""
    torch.manual_seed(2)
    folder = tmp_path_factory.mktemp('r18')
    src, out = str(folder / 'r18.pth'), str(folder / 'backbone.pth')
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), src)
    extract_backbone.main([src, out, '--depth', '18'])
    return src, out


def _finetune_config(name):
    """configs/<algo>/benchmarks/pare_resnet50-<name>_... (mmpretrain's benchmarks layout)."""
    return osp.join(REPO, f'configs/{name.split("-")[0]}/benchmarks/'
                    f'pare_resnet50-{name}_8xb16-120e_h36m-coco.py')


def test_every_pretraining_has_a_finetune_config():
    assert [n for n in PRETRAININGS if not osp.isfile(_finetune_config(n))] == []
    # configs/pare/ keeps the base recipe only, no per-pre-training copy
    assert [osp.basename(p) for p in glob.glob(osp.join(
        REPO, 'configs/pare/pare_resnet50-*_8xb16-120e_h36m-coco.py'))] == [
            'pare_resnet50-scratch_8xb16-120e_h36m-coco.py']


@pytest.mark.parametrize('name', PRETRAININGS)
def test_finetune_config_names_its_backbone_strictly(name, tv18_files):
    base = osp.join(REPO, 'configs/pare/pare_resnet50-scratch_8xb16-120e_h36m-coco.py')
    if not osp.exists(base):
        pytest.skip(f'the PARE base recipe {base} does not exist yet')
    cfg = Config.fromfile(_finetune_config(name))
    backbone = cfg.model.backbone.to_dict()
    assert backbone['type'] == 'mmpretrain.ResNet' and backbone['depth'] == 50
    backbone['depth'] = 18
    init = backbone['init_cfg']
    if name == 'random':
        assert backbone['zero_init_residual'] is False
        model = MODELS.build(backbone)
        model.init_weights()
        convs = [m.weight for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
        std = torch.cat([w.flatten() for w in convs]).std()
        assert abs(float(std) - 1e-3) < 5e-5
        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        assert all(torch.all(m.weight == 1) and torch.all(m.bias == 0) for m in bns)
        return
    assert init['type'] == 'StrictPretrained'
    src, extracted = tv18_files
    if name == 'imagenet':
        assert init['checkpoint'] == 'checkpoints/resnet50_torchvision.pth'
        assert init['prefix'] is None
        init['checkpoint'] = src
    else:
        assert init['prefix'] == 'backbone.'
        assert init['checkpoint'].startswith('checkpoints/backbones/')
        init['checkpoint'] = extracted
    model = MODELS.build(backbone)
    model.init_weights()
    _assert_equal_to_source(model, torch.load(src, weights_only=True))
