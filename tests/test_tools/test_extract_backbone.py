"""tools/model_converters/extract_backbone.py from the command line (as the study runner calls
it)."""
import subprocess
import sys

import torch
import torchvision

from helpers.tool_runner import REPO, run_tool, tool_env


def test_cli_moco_release(tmp_path):
    state = torchvision.models.resnet50(weights=None).state_dict()
    src = tmp_path / 'moco_v2_800ep_pretrain.pth.tar'
    torch.save({'epoch': 800, 'arch': 'resnet50',
                'state_dict': {**{'module.encoder_q.' + k: v for k, v in state.items()},
                               **{'module.encoder_k.' + k: v for k, v in state.items()}}}, src)
    out = tmp_path / 'backbone.pth'
    proc = run_tool(['tools/model_converters/extract_backbone.py', str(src), str(out)])
    assert "backbone prefix: 'module.encoder_q.' (ResNet-50)" in proc.stdout
    assert 'matched: 265/265 (100.0 %)' in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == f'saved 318 tensors to {out}'
    saved = torch.load(out, weights_only=True)
    assert saved['meta']['prefix'] == 'module.encoder_q.' and saved['meta']['num_missing'] == 0
    assert torch.equal(saved['state_dict']['backbone.layer4.2.bn3.weight'],
                       state['layer4.2.bn3.weight'])


def test_cli_errors_say_what_was_found(tmp_path):
    vgg = tmp_path / 'vgg.pth'
    torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3)}, vgg)
    r18 = tmp_path / 'r18.pth'
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), r18)
    for src, msg in ((vgg, f'extract_backbone: {vgg} holds no ResNet backbone'),
                     (r18, 'found ResNet-18 (BasicBlock) keys under "", expected ResNet-50')):
        proc = subprocess.run([sys.executable, 'tools/model_converters/extract_backbone.py',
                               str(src), str(tmp_path / 'out.pth')], cwd=REPO, env=tool_env(),
                              capture_output=True, text=True)
        assert proc.returncode != 0 and msg in proc.stderr
        assert not (tmp_path / 'out.pth').exists()
