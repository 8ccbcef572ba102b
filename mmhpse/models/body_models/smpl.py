"""SMPL body model: ``smplx.SMPLLayer`` plus SPIN's extra / H36M regressors and named joint sets.

Model files are read by :mod:`.smpl_io` (official ``.pkl`` files without chumpy, surrogate files)
and handed to smplx as its ``data_struct``. The body model is data named by the config, never
weights: its buffers are not saved in (or loaded from) checkpoints.
"""
from typing import Dict, Optional

import numpy as np
import smplx
import torch
from smplx.lbs import batch_rodrigues
from smplx.utils import Struct
from smplx.vertex_ids import vertex_ids as smplx_vertex_ids

from mmhpse.conventions import get_keypoint_num
from mmhpse.registry import MODELS
from .smpl_io import (find_beside, load_regressor, load_smpl_file, resolve_model_file,
                      validate_smpl_data)

__all__ = ['SMPL', 'SMPL_49_JOINT_MAP']

# SPIN's 49 joints: indices into cat(24 SMPL joints, 21 smplx vertex joints, 9 extra-regressor
# joints).
# The vertex joints are nose, reye, leye, rear, lear, LBigToe, LSmallToe, LHeel, RBigToe,
# RSmallToe, RHeel (24..34) and 10 finger tips (35..44); extra joints are 45..53.
SMPL_49_JOINT_MAP = (
    24, 12, 17, 19, 21, 16, 18, 20, 0, 2, 5, 8, 1, 4, 7, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    8, 5, 45, 46, 4, 7, 21, 19, 17, 16, 18, 20, 47, 48, 49, 50, 51, 52, 53, 24, 26, 25, 28, 27)
NUM_SMPLX_JOINTS = 45
JOINT_SETS = ('smpl_24', 'h36m_17', 'smpl_49')


@MODELS.register_module()
class SMPL(smplx.SMPLLayer):
    """SMPL (neutral / male / female) giving the joints of a named convention.

    Args:
        model_path (str): a model file, or a folder holding ``SMPL_{NEUTRAL,MALE,FEMALE}.pkl``
            (directly or in ``smpl/``; official release names are found too).
        gender (str): ``'neutral'``, ``'male'`` or ``'female'``.
        joint_regressor_h36m (str, optional): ``(17, V)`` ``.npy``; ``None`` looks for
            ``J_regressor_h36m.npy`` beside the model file or one folder up.
        joint_regressor_extra (str, optional): SPIN's ``(9, V)`` ``J_regressor_extra.npy``, found
            the same way when ``None``.
        num_betas (int): shape coefficients used.
        vertex_ids (dict, optional): vertex ids of smplx's extra joints; default: the file's
            ``joint_vertex_ids`` (surrogate files) or smplx's SMPL ids.
        joints_convention (str): convention of the ``joints`` that :meth:`forward` returns:
            ``'smpl_49'`` (SPIN's 49), ``'smpl_24'`` (``J_regressor`` on the posed mesh) or
            ``'h36m_17'``. Defaults to ``'smpl_49'``.
    """

    def __init__(self, model_path: str, gender: str = 'neutral',
                 joint_regressor_h36m: Optional[str] = None,
                 joint_regressor_extra: Optional[str] = None, num_betas: int = 10,
                 vertex_ids: Optional[Dict[str, int]] = None,
                 joints_convention: str = 'smpl_49'):
        if joints_convention not in JOINT_SETS:
            raise KeyError(f'SMPL: joints_convention must be one of {JOINT_SETS}, got '
                           f'{joints_convention!r}')
        model_file = resolve_model_file(model_path, gender)
        data = load_smpl_file(model_file)
        validate_smpl_data(data, model_file, num_betas)
        num_vertices = np.shape(data['v_template'])[0]
        if vertex_ids is None:
            vertex_ids = data.get('joint_vertex_ids', smplx_vertex_ids['smplh'])
        bad = {k: v for k, v in vertex_ids.items() if not 0 <= int(v) < num_vertices}
        if bad:
            raise ValueError(f'{model_file}: vertex ids {bad} are out of range for a mesh of '
                             f'{num_vertices} vertices; pass vertex_ids= for this mesh')
        super().__init__(model_path=model_file, data_struct=Struct(**data), gender=gender,
                         num_betas=num_betas, vertex_ids=vertex_ids)
        self.model_file = model_file
        self.joints_convention = joints_convention
        self.num_vertices = num_vertices
        self.faces = np.asarray(data['f'], dtype=np.int64)
        self.vertex_sym_idxs = (np.asarray(data['vert_sym_idxs'], dtype=np.int64)
                                if 'vert_sym_idxs' in data else None)
        self.regressor_files = {}
        for name, path, rows in (('h36m', joint_regressor_h36m, 17),
                                 ('extra', joint_regressor_extra, 9)):
            path = find_beside(model_file, f'J_regressor_{name}.npy') if path is None else path
            self.regressor_files[name] = path
            reg = None if path is None else torch.from_numpy(
                load_regressor(path, rows, num_vertices, name)).float()
            self.register_buffer(f'J_regressor_{name}', reg)
        if joints_convention == 'h36m_17':
            self._check_h36m()
        self.register_buffer('joint_map', torch.tensor(SMPL_49_JOINT_MAP, dtype=torch.long))
        mask = torch.ones(get_keypoint_num(joints_convention))
        if joints_convention == 'smpl_49' and self.J_regressor_extra is None:
            mask[self.joint_map >= NUM_SMPLX_JOINTS] = 0
        self.register_buffer('joints_mask', mask)
        # every buffer (smplx's too) is non-persistent: the body model comes from its files
        for module in self.modules():
            for name, buf in list(module.named_buffers(recurse=False)):
                module.register_buffer(name, buf, persistent=False)

    def _check_h36m(self) -> None:
        if self.J_regressor_h36m is None:
            raise FileNotFoundError(
                f'h36m_17 joints need J_regressor_h36m: none was given and none was found '
                f'beside {self.model_file}; pass joint_regressor_h36m=')

    def _to_49(self, joints45: torch.Tensor, vertices: torch.Tensor) -> torch.Tensor:
        if self.J_regressor_extra is not None:
            extra = torch.einsum('jv,bvc->bjc', self.J_regressor_extra.to(vertices), vertices)
        else:
            extra = vertices.new_zeros(vertices.shape[0], 9, 3)
        return torch.cat([joints45, extra], dim=1)[:, self.joint_map]

    def forward(self, global_orient: torch.Tensor, body_pose: torch.Tensor, betas: torch.Tensor,
                transl: Optional[torch.Tensor] = None, pose2rot: bool = True) -> dict:
        """Pose the body.

        Args:
            global_orient (Tensor): ``(B, 3)`` axis-angle, or ``(B, 1, 3, 3)`` with
                ``pose2rot=False``.
            body_pose (Tensor): ``(B, 69)`` / ``(B, 23, 3)`` axis-angle, or ``(B, 23, 3, 3)``.
            betas (Tensor): ``(B, num_betas)``.
            transl (Tensor, optional): ``(B, 3)`` added to vertices and joints.
            pose2rot (bool): whether poses are axis-angle.

        Returns:
            dict: ``vertices (B, V, 3)``, ``joints (B, K, 3)`` in ``joints_convention``,
            ``smpl_joints (B, 24, 3)`` (the skeleton's joints), ``joints_mask (K,)``.
        """
        b = betas.shape[0]
        if pose2rot:
            global_orient = batch_rodrigues(global_orient.reshape(b, 3))
            body_pose = batch_rodrigues(body_pose.reshape(b * 23, 3))
        out = super().forward(betas=betas, global_orient=global_orient.reshape(b, 1, 3, 3),
                              body_pose=body_pose.reshape(b, 23, 3, 3), transl=transl)
        if self.joints_convention == 'smpl_49':
            # as SPIN: the extra joints are regressed from the (translated) vertices
            joints = self._to_49(out.joints, out.vertices)
        else:
            joints = self.regress(out.vertices, self.joints_convention)
        return dict(vertices=out.vertices, joints=joints, smpl_joints=out.joints[:, :24],
                    joints_mask=self.joints_mask)

    def regress(self, vertices: torch.Tensor, convention: str = 'smpl_49') -> torch.Tensor:
        """Joints of a named set regressed from (posed) vertices.

        Args:
            vertices (Tensor): ``(B, V, 3)``.
            convention (str): ``'smpl_24'`` (SMPL's ``J_regressor``), ``'h36m_17'``
                (``J_regressor_h36m``) or ``'smpl_49'`` (24 regressed + vertex joints + extra).

        Returns:
            Tensor: ``(B, K, 3)``.
        """
        if convention == 'smpl_24':
            return torch.einsum('jv,bvc->bjc', self.J_regressor.to(vertices), vertices)
        if convention == 'h36m_17':
            self._check_h36m()
            return torch.einsum('jv,bvc->bjc', self.J_regressor_h36m.to(vertices), vertices)
        if convention == 'smpl_49':
            joints24 = self.regress(vertices, 'smpl_24')
            return self._to_49(self.vertex_joint_selector(vertices, joints24), vertices)
        raise KeyError(f'unknown convention {convention!r}; known: {", ".join(JOINT_SETS)}')

    def extra_repr(self) -> str:
        return (f'model_file={self.model_file!r}, gender={self.gender!r}, '
                f'num_vertices={self.num_vertices}, joints={self.joints_convention}, '
                f'regressors={self.regressor_files}')
