# Human3.6M protocol 2 test of the authors' code (Rethinking data/Human36M/dataset.py): S9, S11,
# frontal camera "4" (serial 60457274), every 64th frame (0-based video frame % 64 == 0):
# data/preprocessed_datasets/h36m_test_p2.npz, written from the Pose2Mesh / I2L-MeshNet
# annotation release by (docs/datasets.md)
#   python tools/dataset_converters/h36m.py --root data/datasets/h36m \
#       --out data/preprocessed_datasets/h36m_test_p2.npz --split p2
# `sample_filter` selects the same set again from the image paths (it keeps every sample of that
# file), so the base stays the authors' protocol whatever file is put in: on mmhuman3d's
# H36mConverter / SPIN protocol-2 file, which keeps only every 5th frame, the filter stops with an
# error (every 64th frame exists there only at multiples of 320); h36m_p2_mmhuman3d.py evaluates
# that file's every-5th frames. Images under data/datasets/h36m/. Evaluated with
# MeshMetric(dataset='h36m_p2').
h36m_p2_sample_filter = dict(subjects=['S9', 'S11'], cameras=['60457274'], frame_stride=64)
h36m_p2_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_test_p2.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m_p2',
    convention='smpl_49',  # holds all 17 H36M joints by name
    sample_filter=h36m_p2_sample_filter,
    test_mode=True)
