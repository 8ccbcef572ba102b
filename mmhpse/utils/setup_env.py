"""Registration of every mmhpse module into the registries (OpenMMLab convention)."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmhpse module that registers something.

    Args:
        init_default_scope (bool): Whether to make ``mmhpse`` the current default scope when no
            scope (or another one) is active. Defaults to True.
    """
    import mmhpse.datasets  # noqa: F401,F403
    import mmhpse.engine  # noqa: F401,F403
    import mmhpse.evaluation  # noqa: F401,F403
    import mmhpse.models  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmhpse', scope_name='mmhpse')
    elif current.scope_name != 'mmhpse':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mmhpse"; '
                      '`register_all_modules` forces it to "mmhpse".')
        name = f'mmhpse-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmhpse')
