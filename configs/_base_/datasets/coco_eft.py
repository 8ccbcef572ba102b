# COCO 2014 train persons with EFT pseudo-GT SMPL fits (Joo et al. 2021), as PARE / mmhuman3d
# train: data/preprocessed_datasets/eft_coco_all.npz, written by mmhuman3d's EftConverter
# (mode 'coco_all') from EFT's COCO2014-All-ver01.json; images under data/datasets/coco/.
coco_eft_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/eft_coco_all.npz',
    data_prefix=dict(img='datasets/coco/'),
    dataset_name='coco',
    convention='smpl_49')
