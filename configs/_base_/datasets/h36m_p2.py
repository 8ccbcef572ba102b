# Human3.6M protocol 2 test of the authors' code (Rethinking data/Human36M/dataset.py): S9, S11,
# frontal camera "4" (serial 60457274), every 64th frame (0-based video frame % 64 == 0), selected
# by `sample_filter` from the image paths. The file must hold those frames: mmhuman3d's
# H36mConverter (mode 'valid', protocol=2) and SPIN keep only every 5th frame, of which every
# 64th exists only at multiples of 320, so on such a file the filter stops with an error; set
# `sample_filter=dict(frame_stride=None)` there to evaluate the file's every-5th frames (12.8x more
# frames than the authors). Images under data/datasets/h36m/. Evaluated with
# MeshMetric(dataset='h36m_p2').
h36m_p2_sample_filter = dict(subjects=['S9', 'S11'], cameras=['60457274'], frame_stride=64)
h36m_p2_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_valid_protocol2.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m_p2',
    convention='smpl_49',  # holds all 17 H36M joints by name
    sample_filter=h36m_p2_sample_filter,
    test_mode=True)
