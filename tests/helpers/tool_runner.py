"""Run the project's command-line tools in a subprocess, the way a user does."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HELPERS = osp.dirname(osp.abspath(__file__))


def load_tool(path):
    """Import the script ``path`` (relative to the repo, e.g. ``'demo/image_demo.py'``) as a
    module, to call its functions in-process."""
    import importlib.util
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_env(extra_pythonpath=()):
    env = dict(os.environ)
    paths = [REPO, HELPERS, *extra_pythonpath, env.get('PYTHONPATH', '')]
    env['PYTHONPATH'] = os.pathsep.join(p for p in paths if p)
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PYTHON'] = sys.executable
    return env


def run_tool(args, timeout=600, env_update=None, **kwargs):
    """Run ``args`` (a list; a leading ``*.py`` is run with this interpreter) from the repo root.

    Returns the CompletedProcess; raises AssertionError with the output tail when it fails.
    """
    if args[0].endswith('.py'):
        args = [sys.executable, osp.join(REPO, args[0]), *args[1:]]
    env = tool_env()
    env.update(env_update or {})
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} exited {proc.returncode}\n'
                             f'--- stdout ---\n{proc.stdout[-4000:]}\n'
                             f'--- stderr ---\n{proc.stderr[-6000:]}')
    return proc
