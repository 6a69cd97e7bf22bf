"""Small control environments for planning experiments: planar pushing with contact (pymunk) and a
piecewise-affine toy system. Each env has ``nx``, ``nu``, ``u_lo``, ``u_hi``, ``goal_dims``, ``reset``,
``step`` and samplers of start states and goals; :func:`collect_transitions` logs random-action data."""

from paperworks.envs.base import Env, collect_transitions
from paperworks.envs.pushing import PushingEnv
from paperworks.envs.pwa import PWAPushEnv

__all__ = ["Env", "collect_transitions", "PushingEnv", "PWAPushEnv"]
