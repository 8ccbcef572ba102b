"""SMPL body model over ``smplx``: official files without chumpy, surrogate files, joint sets."""
import contextlib
import io

import numpy as np
import torch
from torch import nn

from mmhpse.registry import MODELS
from .smpl_io import (find_beside, load_regressor, load_smpl_file, resolve_model_file,
                      validate_smpl_data)

# SPIN's 49 joints: indices into cat(24 SMPL joints, 21 smplx vertex joints, 9 extra-regressor
# joints).
# The vertex joints are nose, reye, leye, rear, lear, LBigToe, LSmallToe, LHeel, RBigToe,
# RSmallToe, RHeel (24..34) and 10 finger tips (35..44); extra joints are 45..53.
SMPL_49_JOINT_MAP = (
    24, 12, 17, 19, 21, 16, 18, 20, 0, 2, 5, 8, 1, 4, 7, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    8, 5, 45, 46, 4, 7, 21, 19, 17, 16, 18, 20, 47, 48, 49, 50, 51, 52, 53, 24, 26, 25, 28, 27)
NUM_SMPLX_JOINTS = 45


@MODELS.register_module()
class SMPL(nn.Module):
    """SMPL (neutral / male / female) with SPIN's 49 joints.

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
    """

    def __init__(self, model_path, gender='neutral', joint_regressor_h36m=None,
                 joint_regressor_extra=None, num_betas=10, vertex_ids=None):
        super().__init__()
        import smplx
        from smplx.utils import Struct
        from smplx.vertex_ids import vertex_ids as smplx_vertex_ids

        self.model_file = resolve_model_file(model_path, gender)
        self.gender = gender
        data = load_smpl_file(self.model_file)
        validate_smpl_data(data, self.model_file, num_betas)
        num_vertices = np.shape(data['v_template'])[0]
        if vertex_ids is None:
            vertex_ids = data.get('joint_vertex_ids', smplx_vertex_ids['smplh'])
        bad = {k: v for k, v in vertex_ids.items() if not 0 <= int(v) < num_vertices}
        if bad:
            raise ValueError(f'{self.model_file}: vertex ids {bad} are out of range for a mesh of '
                             f'{num_vertices} vertices; pass vertex_ids= for this mesh')
        arrays = {k: v for k, v in data.items() if k in (
            'v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'f')}
        arrays['shapedirs'] = np.asarray(arrays['shapedirs'])[:, :, :num_betas]
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a note on 10 betas
            self.body = smplx.SMPL(
                model_path=self.model_file, data_struct=Struct(**arrays), gender=gender,
                num_betas=num_betas, vertex_ids=vertex_ids, create_betas=False,
                create_global_orient=False, create_body_pose=False, create_transl=False)
        self.num_betas = num_betas
        self.num_vertices = num_vertices
        self.faces = np.asarray(data['f'], dtype=np.int64)
        self.vertex_sym_idxs = (np.asarray(data['vert_sym_idxs'], dtype=np.int64)
                                if 'vert_sym_idxs' in data else None)

        self.regressor_files = {}
        for name, path, rows in (('h36m', joint_regressor_h36m, 17),
                                 ('extra', joint_regressor_extra, 9)):
            if path is None:
                path = find_beside(self.model_file, f'J_regressor_{name}.npy')
            self.regressor_files[name] = path
            reg = None if path is None else torch.from_numpy(
                load_regressor(path, rows, num_vertices, name)).float()
            self.register_buffer(f'J_regressor_{name}', reg)
        mask = torch.ones(len(SMPL_49_JOINT_MAP))
        if self.J_regressor_extra is None:
            mask[torch.tensor(SMPL_49_JOINT_MAP) >= NUM_SMPLX_JOINTS] = 0
        self.register_buffer('joints_mask', mask)
        self.register_buffer('joint_map', torch.tensor(SMPL_49_JOINT_MAP, dtype=torch.long))

    def _to_49(self, joints45, vertices):
        if self.J_regressor_extra is not None:
            extra = torch.einsum('jv,bvc->bjc', self.J_regressor_extra.to(vertices), vertices)
        else:
            extra = vertices.new_zeros(vertices.shape[0], 9, 3)
        return torch.cat([joints45, extra], dim=1)[:, self.joint_map]

    def forward(self, global_orient, body_pose, betas, transl=None, pose2rot=True):
        """Pose the body.

        Args:
            global_orient (Tensor): ``(B, 3)`` axis-angle, or ``(B, 1, 3, 3)`` with
                ``pose2rot=False``.
            body_pose (Tensor): ``(B, 69)`` / ``(B, 23, 3)`` axis-angle, or ``(B, 23, 3, 3)``.
            betas (Tensor): ``(B, num_betas)``.
            transl (Tensor, optional): ``(B, 3)`` added to vertices and joints.
            pose2rot (bool): whether poses are axis-angle.

        Returns:
            dict: ``vertices (B, V, 3)``, ``joints (B, 49, 3)`` (smpl_49),
            ``smpl_joints (B, 24, 3)`` (the skeleton's joints), ``joints_mask (49,)``.
        """
        b = betas.shape[0]
        if pose2rot:
            global_orient = global_orient.reshape(b, 3)
            body_pose = body_pose.reshape(b, 69)
        else:
            global_orient = global_orient.reshape(b, 1, 3, 3)
            body_pose = body_pose.reshape(b, 23, 3, 3)
        out = self.body(global_orient=global_orient, body_pose=body_pose, betas=betas,
                        transl=transl, pose2rot=pose2rot)
        # as SPIN: the extra joints are regressed from the (translated) vertices
        joints = self._to_49(out.joints, out.vertices)
        return dict(vertices=out.vertices, joints=joints, smpl_joints=out.joints[:, :24],
                    joints_mask=self.joints_mask)

    def regress(self, vertices, convention='smpl_49'):
        """Joints of a named set regressed from (posed) vertices.

        Args:
            vertices (Tensor): ``(B, V, 3)``.
            convention (str): ``'smpl_24'`` (SMPL's ``J_regressor``), ``'h36m_17'``
                (``J_regressor_h36m``) or ``'smpl_49'`` (24 regressed + vertex joints + extra).

        Returns:
            Tensor: ``(B, K, 3)``.
        """
        if convention == 'smpl_24':
            return torch.einsum('jv,bvc->bjc', self.body.J_regressor.to(vertices), vertices)
        if convention == 'h36m_17':
            if self.J_regressor_h36m is None:
                raise FileNotFoundError(
                    f'h36m_17 joints need J_regressor_h36m: none was given and none was found '
                    f'beside {self.model_file}; pass joint_regressor_h36m=')
            return torch.einsum('jv,bvc->bjc', self.J_regressor_h36m.to(vertices), vertices)
        if convention == 'smpl_49':
            joints24 = self.regress(vertices, 'smpl_24')
            return self._to_49(self.body.vertex_joint_selector(vertices, joints24), vertices)
        raise KeyError(f'unknown convention {convention!r}; known: smpl_24, h36m_17, smpl_49')

    def extra_repr(self):
        return (f'model_file={self.model_file!r}, gender={self.gender!r}, '
                f'num_vertices={self.num_vertices}, regressors={self.regressor_files}')


__all__ = ['SMPL', 'SMPL_49_JOINT_MAP']
