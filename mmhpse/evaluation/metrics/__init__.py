from .mesh_metric import PROTOCOLS, MeshMetric

__all__ = ['MeshMetric', 'PROTOCOLS']
