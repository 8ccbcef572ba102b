# Procedural humans rendered from the (surrogate) SMPL body model with exact GT, for tests, the
# quickstart and CPU smoke trainings. Written by tools/misc/make_procedural_dataset.py:
#   python tools/misc/make_procedural_dataset.py --out data/procedural/train.npz --seed 0
#   python tools/misc/make_procedural_dataset.py --out data/procedural/test.npz \
#       --num-samples 200 --seed 1
# HumanData files (keypoints in 'smpl_49', smpl dict, meta.gender); image paths are relative to
# data/procedural/ (images in <split>_images/).
procedural_train = dict(
    type='HumanImageDataset',
    data_root='data/procedural/',
    ann_file='train.npz',
    data_prefix=dict(img=''),
    dataset_name='procedural',
    convention='smpl_49')
procedural_test = dict(
    type='HumanImageDataset',
    data_root='data/procedural/',
    ann_file='test.npz',
    data_prefix=dict(img=''),
    dataset_name='procedural',
    convention='smpl_49',
    test_mode=True)
