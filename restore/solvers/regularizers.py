"""The total-variation curvature term of RL-TV."""


def tv_curvature(x, xp, relative_epsilon=1e-3):
    """div(∇x / |∇x|_ε): the gradient of isotropic TV, used by RL-TV.

    Differences use edge replication (the last difference on each axis is 0)
    so the image's borders are not glued together. ε is relative to the
    mean intensity, which keeps the term scale-free.
    """
    grads = [_forward_difference(x, a, xp) for a in range(x.ndim)]
    eps = relative_epsilon * (float(xp.abs(x).mean()) + 1e-30)
    norm = xp.sqrt(sum(g * g for g in grads) + eps * eps)
    total = None
    for a, g in enumerate(grads):
        g = g / norm
        # backward difference (g[i] - g[i-1], with g[-1] = 0): the negative
        # adjoint of the replicated forward difference
        term = g.copy()
        term[_index(x.ndim, a, slice(1, None))] -= g[_index(x.ndim, a, slice(None, -1))]
        total = term if total is None else total + term
    return total


def _index(ndim, axis, s):
    index = [slice(None)] * ndim
    index[axis] = s
    return tuple(index)


def _forward_difference(x, axis, xp):
    """x[i+1] − x[i], with 0 at the last index (edge replication)."""
    d = xp.zeros_like(x)
    d[_index(x.ndim, axis, slice(None, -1))] = xp.diff(x, axis=axis)
    return d
