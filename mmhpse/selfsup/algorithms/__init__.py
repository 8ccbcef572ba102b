from .detcon import DetCon
from .jointcon import JointCon

__all__ = ['DetCon', 'JointCon']
