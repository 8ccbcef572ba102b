# DetCon-B on human data: the ImageNet recipe on COCO train2017 person crops (non-crowd boxes of at
# least 32x32 px, enlarged 1.25x, clipped to the image). Masks are computed on the whole image
# and cropped together with it. Precompute them with
#   tools/misc/precompute_felzenszwalb.py data/coco/train2017 data/coco/fh_masks/train2017
_base_ = ['./detcon-b_resnet50_16xb256-coslr-200e_in1k.py',
          '../_base_/datasets/coco_person_crops.py']

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

data_root = 'data/coco/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadFelzenszwalbMask', mask_root=data_root + 'fh_masks/train2017',
         img_root=data_root + 'train2017', scale=1000, sigma=0.8, min_size=1000),
    dict(type='CropPersonBox', padding=1.25),
    dict(type='MultiViewWithMasks', num_views=[1, 1],
         transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
    dict(type='PackInputs', algorithm_keys=['view_masks']),
]
train_dataloader = dict(
    dataset=dict(_base_.coco_person_crops, _delete_=True, pipeline=train_pipeline))
