"""The paper's fine-tuning data (docs/fidelity.md, "Fine-tuning data"): the recipe and the study
resolve to the files of tools/dataset_converters/, which hold SMPL for every sample and the
authors' frames; checked end to end on releases written in the official layouts."""
import json
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from helpers.official_layouts import write_coco, write_h36m
from helpers.tool_runner import REPO

from mmhpse.datasets import HumanImageDataset
from mmhpse.datasets.sample_filter import H36M_CAMERAS, parse_h36m_path

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import coco_neuralannot  # noqa: E402
import h36m  # noqa: E402

PAPER = osp.join(REPO, 'configs', 'pare', 'pare_resnet50-scratch_8xb16-120e_h36m-coco.py')
STUDY = osp.join(REPO, 'configs', 'studies', 'paper.py')
P2 = osp.join(REPO, 'configs', '_base_', 'datasets', 'h36m_p2.py')


def _build(ds_cfg, data_root):
    """The dataset of a config dict (built directly: other tests may leave another default
    registry scope behind)."""
    cfg = dict(ds_cfg, data_root=data_root, pipeline=[])
    assert cfg.pop('type') == 'HumanImageDataset'
    return HumanImageDataset(**cfg)


def _stem(path):
    return osp.splitext(osp.basename(path))[0]


def test_paper_recipe_trains_on_h36m_and_coco2017_with_smpl(tmp_path, surrogate_body_model_dir):
    body = surrogate_body_model_dir
    cfg = Config.fromfile(PAPER)
    mixed = cfg.train_dataloader.dataset
    h36m_cfg, coco_cfg = mixed.datasets
    assert mixed.type == 'MixedDataset' and mixed.partition == [0.5, 0.5]
    assert h36m_cfg.ann_file == 'preprocessed_datasets/h36m_train_neuralannot.npz'
    assert coco_cfg.ann_file == 'preprocessed_datasets/coco_2017_train_neuralannot.npz'
    # the converters' outputs at the config's paths, from releases in the official layouts
    data_root = str(tmp_path / 'data') + '/'
    h36m_root = osp.join(data_root, h36m_cfg.data_prefix.img)
    write_h36m(h36m_root, body, subjects=(1, 5, 6, 7, 8, 9), frames=range(11), images=True)
    h36m.main(['--root', h36m_root, '--out', osp.join(data_root, h36m_cfg.ann_file),
               '--split', 'train', '--body-model', body])
    coco_root = osp.join(data_root, coco_cfg.data_prefix.img)
    write_coco(coco_root, body, num=5, images=True)
    coco_neuralannot.main(['--root', coco_root, '--out', osp.join(data_root, coco_cfg.ann_file)])

    h36m_ds, coco_ds = _build(h36m_cfg, data_root), _build(coco_cfg, data_root)
    h36m_info = [h36m_ds.get_data_info(i) for i in range(len(h36m_ds))]
    coco_info = [coco_ds.get_data_info(i) for i in range(len(coco_ds))]
    # every sample of both sets carries SMPL (pose, shape, SMPL-joint supervision)
    assert all(i['has_smpl'] for i in h36m_info + coco_info)
    assert all(osp.isfile(i['img_path']) for i in h36m_info + coco_info)
    # Human3.6M: S1, S5, S6, S7, S8 (not S9), all four cameras, every 5th frame
    ids = [parse_h36m_path(i['img_path']) for i in h36m_info]
    assert {i['subject'] for i in ids} == {'S1', 'S5', 'S6', 'S7', 'S8'}
    assert {i['camera'] for i in ids} == set(H36M_CAMERAS)
    assert sorted({i['frame'] for i in ids}) == [0, 5, 10] and len(ids) == 5 * 4 * 3
    # COCO 2017 images (train2017/), every person of the generated file
    assert len(coco_info) == 5 and all('/train2017/' in i['img_path'] for i in coco_info)


def test_study_fractions_and_benchmarks_use_the_same_files():
    cfg = Config.fromfile(PAPER)
    study = Config.fromfile(STUDY).study
    anns = [d.ann_file for d in cfg.train_dataloader.dataset.datasets]
    inputs = [osp.basename(p['cmd'][2]) for p in study.prepare]
    assert inputs == [osp.basename(a) for a in anns]
    for i, ann in enumerate(anns):
        template = study.finetune.fraction_cfg_options[
            f'train_dataloader.dataset.datasets.{i}.indices_file']
        assert osp.basename(template) == f'{_stem(ann)}_frac{{pct}}_seed0.npy'
        assert osp.basename(study.prepare[i]['creates']) == f'{_stem(ann)}_frac10_seed0.npy'
    bench = {b.prefix: b for b in study.benchmarks}['h36m']
    assert bench.cfg_options['test_dataloader.dataset.ann_file'] == \
        Config.fromfile(P2).h36m_p2_test.ann_file


@pytest.mark.parametrize('split', ['p2', 'p1'])
def test_protocol_file_holds_the_authors_frames(split, tmp_path, surrogate_body_model_dir):
    """The P2 frame set the converter writes for a given release equals the authors' selection
    (S9, S11, camera 4, frame_idx % 64 == 0) computed here from the release's own json; the P2
    base config's sample_filter keeps all of it."""
    body = surrogate_body_model_dir
    p2 = Config.fromfile(P2).h36m_p2_test
    data_root = str(tmp_path / 'data') + '/'
    root = osp.join(data_root, p2.data_prefix.img)
    write_h36m(root, body, subjects=(9, 11), frames=range(140))
    out = osp.join(data_root, p2.ann_file)
    h36m.main(['--root', root, '--out', out, '--split', split, '--body-model', body])
    expect = set()
    for s in (9, 11):
        with open(osp.join(root, 'annotations', f'Human36M_subject{s}_data.json')) as f:
            images = json.load(f)['images']
        expect |= {(f'S{s}', H36M_CAMERAS[img['cam_idx'] - 1], img['frame_idx'])
                   for img in images if img['frame_idx'] % 64 == 0
                   and (split == 'p1' or img['cam_idx'] == 4)}
    ds = _build(p2 if split == 'p2' else dict(p2, sample_filter=None), data_root)
    got = [parse_h36m_path(ds.get_data_info(i)['img_path']) for i in range(len(ds))]
    assert len(got) == len(expect) == (6 if split == 'p2' else 24)
    assert {(g['subject'], g['camera'], g['frame']) for g in got} == expect
