# 3DPW test split (35,515 crops, SMPL GT with genders): data/preprocessed_datasets/pw3d_test.npz
# (HumanData: camera-frame smpl, meta.gender, SMPL-24 / OpenPose joints), written from the
# official sequenceFiles/test/*.pkl by (docs/datasets.md)
#   python tools/dataset_converters/pw3d.py --root data/datasets/pw3d \
#       --out data/preprocessed_datasets/pw3d_test.npz --split test
# Boxes as the authors' (projected SMPL joints inside the image, x1.2, clipped; --bbox-source
# openpose gives mmhuman3d's OpenPose boxes, whose Pw3dConverter file reads as well).
# Images under data/datasets/pw3d/ (imageFiles/...). Evaluated with MeshMetric(dataset='3dpw').
pw3d_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/pw3d_test.npz',
    data_prefix=dict(img='datasets/pw3d/'),
    dataset_name='pw3d',
    convention='smpl_49',
    test_mode=True)
