from .detcon import DetCon  # noqa: F401
