# BYOL on human data: the same recipe, ImageNet replaced by COCO train2017 person crops
# (one sample per non-crowd person box of at least 32x32 px, enlarged 1.25x, clipped to the image),
# on which the method's own views are drawn.
_base_ = ['./byol_resnet50_16xb256-coslr-200e_in1k.py',
          '../_base_/datasets/coco_person_crops.py']

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

views = [{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]
num_views = [1, 1]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox', padding=1.25),
    dict(type='MultiView', num_views=num_views, transforms=views),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(_base_.coco_person_crops, _delete_=True, pipeline=train_pipeline))
