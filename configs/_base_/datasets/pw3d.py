# 3DPW test split (35,515 crops, gendered SMPL GT): data/preprocessed_datasets/pw3d_test.npz
# written by mmhuman3d's Pw3dConverter (mode 'test'; keys image_path, bbox_xywh, smpl, meta.gender),
# images under data/datasets/pw3d/ (imageFiles/...). Evaluated with MeshMetric(dataset='3dpw').
pw3d_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/pw3d_test.npz',
    data_prefix=dict(img='datasets/pw3d/'),
    dataset_name='pw3d',
    convention='smpl_49',
    test_mode=True)
