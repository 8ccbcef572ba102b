# Human3.6M protocol 2 test as mmhuman3d evaluates it: S9, S11, frontal camera, every 5th frame
# (12.8x the authors' frames): data/preprocessed_datasets/h36m_valid_protocol2.npz written by
# mmhuman3d's H36mConverter (mode 'valid', protocol=2; keypoints3d root-centred, H36M-17 stored
# in 'human_data'). The authors' every-64th set is h36m_p2.py. Images under data/datasets/h36m/.
# Evaluated with MeshMetric(dataset='h36m_p2').
h36m_p2_mmhuman3d_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_valid_protocol2.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m_p2',
    convention='smpl_49',  # holds all 17 H36M joints by name
    sample_filter=dict(subjects=['S9', 'S11'], cameras=['60457274']),
    test_mode=True)
