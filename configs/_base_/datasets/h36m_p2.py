# Human3.6M protocol 2 test: S9, S11, frontal camera, every 64th frame:
# data/preprocessed_datasets/h36m_valid_protocol2.npz written by mmhuman3d's H36mConverter
# (mode 'valid', protocol=2; keypoints3d root-centred, H36M-17 stored in 'human_data'),
# images under data/datasets/h36m/. Evaluated with MeshMetric(dataset='h36m_p2').
h36m_p2_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_valid_protocol2.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m_p2',
    convention='smpl_49',  # holds all 17 H36M joints by name
    test_mode=True)
