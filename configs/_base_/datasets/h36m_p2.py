# Human3.6M protocol 2 test: S9, S11, frontal camera:
# data/preprocessed_datasets/h36m_valid_protocol2.npz written by mmhuman3d's H36mConverter
# (mode 'valid', protocol=2; every 5th frame, not the authors' every 64th; keypoints3d
# root-centred, H36M-17 stored in 'human_data'),
# images under data/datasets/h36m/. Evaluated with MeshMetric(dataset='h36m_p2').
# tools/dataset_converters/h36m.py --split p2 writes the authors' set (S9, S11, camera 4, every
# 64th frame) from the Pose2Mesh / I2L-MeshNet annotation release (docs/datasets.md).
h36m_p2_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_valid_protocol2.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m_p2',
    convention='smpl_49',  # holds all 17 H36M joints by name
    test_mode=True)
