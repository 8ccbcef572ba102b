# BYOL pre-training of a ResNet-50 on ImageNet-1k: mmpretrain's published recipe, unchanged.
# The study extracts `backbone.*` of the last checkpoint
# (tools/model_converters/extract_backbone.py) or uses the method's release (see README.md).
_base_ = 'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py'

# mmhpse's SSL area (importing it imports mmhpse, which installs its weights_only-safe checkpoint
# loader and the numpy-2 fix of mmcv's adjust_hue used by the ColorJitter of this recipe).
custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

# mmengine tags the inherited `collate_fn` with `_scope_='mmpretrain'` and its Runner passes that
# key on to `default_collate` (TypeError): restate it here, untagged.
train_dataloader = dict(collate_fn=dict(_delete_=True, type='default_collate'))
