from .image_mesh_estimator import ImageMeshEstimator

__all__ = ['ImageMeshEstimator']
