from .coco_person_crops import CocoPersonCrops, CropPersonBox

__all__ = ['CocoPersonCrops', 'CropPersonBox']
