"""Synthetic data: procedural humans rendered from the (surrogate) SMPL body model.

This area depends on :mod:`mmhpse.models` (the body model) and writes files that
:mod:`mmhpse.datasets` reads; ``datasets`` and ``models`` never import each other or this
package. Importing it needs neither OpenGL nor the body model: the generator and the renderer
import them when called.
"""
from .procedural import generate_procedural_dataset, sample_body_pose, sample_global_orient
from .render import BodyRenderer, load_pyrender, project

__all__ = ['generate_procedural_dataset', 'sample_body_pose', 'sample_global_orient',
           'BodyRenderer', 'load_pyrender', 'project']
