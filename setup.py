import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` (comments dropped)."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [ln.split('#')[0].strip() for ln in f if ln.split('#')[0].strip()]


def get_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmhpse', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmhpse',
    version=get_version(),
    description='Backbone pre-training studies for 3D human pose and shape estimation '
    '(OpenMMLab plugin)',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read()
    if osp.exists(osp.join(osp.dirname(__file__), 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'demo')),
    include_package_data=True,
    python_requires='>=3.10',
    # mmpose is installed with --no-deps by tools/install.sh (its chumpy pin does not build on
    # Python 3.11), and mmcv 2.1.0 needs a build with ops; both are therefore not listed here.
    install_requires=['torch>=2.0', 'torchvision', 'mmengine>=0.10.7', 'mmpretrain>=1.2.0',
                      'smplx>=0.1.28', 'numpy', 'scipy', 'opencv-python', 'matplotlib'],
    extras_require={
        'tests': read_requirements('tests.txt'),
        'render': ['pyrender', 'trimesh', 'PyOpenGL>=3.1.10'],
        'all': read_requirements('runtime.txt'),
    },
    zip_safe=False,
)
