"""Backbone extraction from the checkpoint layouts of the usual releases (torchvision as the
reference)."""
import pytest
import torch
import torchvision

from mmhpse.models.backbones.extract import (BackboneExtractionError, extract_resnet_backbone,
                                             resnet_state_shapes)


def _backbone_keys(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items() if not k.startswith('fc.')}


@pytest.fixture(scope='module')
def tv50():
    torch.manual_seed(0)
    return torchvision.models.resnet50(weights=None).state_dict()


@pytest.mark.parametrize('depth', [18, 34, 50, 101])
def test_shapes_match_torchvision(depth):
    model = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    assert dict(resnet_state_shapes(depth)) == _backbone_keys(model)


def test_torchvision_maps_all_backbone_keys(tv50):
    state, info = extract_resnet_backbone(tv50, depth=50, source='tv.pth')
    backbone = {k for k in tv50 if not k.startswith('fc.')}
    assert set(state) == backbone  # 100 % of the backbone keys, num_batches_tracked included
    assert info['prefix'] == ''
    assert info['num_matched'] == info['num_expected'] == 265
    assert info['missing'] == []
    assert info['unexpected'] == ['fc.bias', 'fc.weight']
    for k in backbone:
        assert torch.equal(state[k], tv50[k])


@pytest.mark.parametrize('layout,prefix', [
    ('moco', 'module.encoder_q.'),
    ('swav', 'module.'),
    ('mmpose', 'backbone.'),
    ('simplebaseline', 'module.backbone.'),
])
def test_release_prefixes(tv50, layout, prefix):
    ckpt = {prefix + k: v for k, v in tv50.items()}
    if layout == 'moco':
        # official MoCo: query and key encoders; the query encoder is the released model
        ckpt.update({'module.encoder_k.' + k: v + 1 for k, v in tv50.items()})
        ckpt = {'state_dict': ckpt, 'epoch': 200, 'arch': 'resnet50'}
    elif layout == 'mmpose':
        ckpt['keypoint_head.final_layer.weight'] = torch.zeros(19, 256, 1, 1)
        ckpt = {'state_dict': ckpt, 'meta': {'epoch': 140}}
    elif layout == 'simplebaseline':
        ckpt['module.final_layer.weight'] = torch.zeros(17, 256, 1, 1)
    state, info = extract_resnet_backbone(ckpt, depth=50)
    assert info['prefix'] == prefix
    assert info['num_matched'] == info['num_expected']
    for k, v in state.items():
        assert torch.equal(v, tv50[k]), k
    if layout == 'moco':
        assert info['other_prefixes'] == ['module.encoder_k.']


def test_mmpretrain_byol_prefers_online_backbone(tv50):
    ckpt = {'state_dict': {**{'backbone.' + k: v for k, v in tv50.items()},
                           **{'target_net.module.0.' + k: v * 0 for k, v in tv50.items()}}}
    state, info = extract_resnet_backbone(ckpt)
    assert info['prefix'] == 'backbone.'
    assert torch.equal(state['conv1.weight'], tv50['conv1.weight'])


def test_wrong_depth_message():
    r18 = torchvision.models.resnet18(weights=None).state_dict()
    with pytest.raises(BackboneExtractionError) as err:
        extract_resnet_backbone(r18, depth=50, source='r18.pth')
    assert str(err.value) == ('r18.pth: found ResNet-18 (BasicBlock) keys under "", expected '
                              'ResNet-50 (Bottleneck).')
    r101 = {'backbone.' + k: v for k, v in
            torchvision.models.resnet101(weights=None).state_dict().items()}
    with pytest.raises(BackboneExtractionError, match=r'found ResNet-101 \(Bottleneck\) keys'):
        extract_resnet_backbone(r101, depth=50)


def test_non_resnet_message():
    vgg = {'features.0.weight': torch.zeros(64, 3, 3, 3), 'features.0.bias': torch.zeros(64)}
    with pytest.raises(BackboneExtractionError) as err:
        extract_resnet_backbone({'state_dict': vgg}, source='vgg.pth')
    assert str(err.value) == ('vgg.pth holds no ResNet backbone: no key ends with '
                              '"layer1.0.conv1.weight" (2 tensors, e.g. features.0.bias, '
                              'features.0.weight).')


def test_incomplete_and_wrong_shape(tv50):
    broken = dict(tv50)
    del broken['layer3.2.conv2.weight']
    with pytest.raises(BackboneExtractionError,
                       match=r"1 missing keys \['layer3.2.conv2.weight'\]"):
        extract_resnet_backbone(broken, source='b.pth')
    broken = dict(tv50)
    broken['bn1.weight'] = torch.zeros(32)
    with pytest.raises(BackboneExtractionError,
                       match=r'bn1.weight: checkpoint \(32,\) vs model \(64,\)'):
        extract_resnet_backbone(broken, source='b.pth')


def test_missing_num_batches_tracked_is_tolerated(tv50):
    old = {k: v for k, v in tv50.items() if not k.endswith('num_batches_tracked')}
    state, info = extract_resnet_backbone(old)
    assert info['num_matched'] == info['num_expected']
    assert not any(k.endswith('num_batches_tracked') for k in state)


def test_narrow_resnet_is_extracted_and_still_checked():
    """The CPU quickstart's half-width ResNet-18 (stem / base channels 32): widths come from the
    file, every weight is matched, and a tensor of another width still fails."""
    from mmpretrain.models import ResNet
    narrow = {f'backbone.{k}': v for k, v in
              ResNet(18, stem_channels=32, base_channels=32).state_dict().items()}
    state, info = extract_resnet_backbone({'state_dict': narrow}, depth=18)
    assert info['widths'] == (32, 32) and info['num_matched'] == info['num_expected']
    assert state['layer4.1.conv2.weight'].shape == (256, 256, 3, 3)
    narrow['backbone.layer2.0.conv1.weight'] = torch.zeros(128, 32, 3, 3)
    with pytest.raises(BackboneExtractionError,
                       match=r'layer2.0.conv1.weight: checkpoint \(128, 32, 3, 3\) vs model '
                       r'\(64, 32, 3, 3\)'):
        extract_resnet_backbone({'state_dict': narrow}, depth=18)
