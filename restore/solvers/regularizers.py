"""Finite differences and total variation, shared by RL-TV and TV-ADMM."""


def gradient(x, xp):
    """Periodic forward differences, one array per axis: (∇x)_a = x[i+1] − x[i]."""
    return [xp.roll(x, -1, axis=a) - x for a in range(x.ndim)]


def divergence(components, xp):
    """−∇ᵀ of periodic forward differences: the adjoint identity ⟨∇x, y⟩ = −⟨x, div y⟩."""
    total = None
    for a, y in enumerate(components):
        term = y - xp.roll(y, 1, axis=a)
        total = term if total is None else total + term
    return total


def tv_curvature(x, xp, relative_epsilon=1e-3):
    """div(∇x / |∇x|_ε): the gradient of isotropic TV, used by RL-TV.

    Differences use edge replication (the last difference on each axis is 0)
    so the image's borders are not glued together. ε is relative to the
    mean intensity, which keeps the term scale-free.
    """
    grads = []
    for a in range(x.ndim):
        d = xp.diff(x, axis=a, append=xp.take(x, [-1], axis=a))
        grads.append(d)
    eps = relative_epsilon * (float(xp.abs(x).mean()) + 1e-30)
    norm = xp.sqrt(sum(g * g for g in grads) + eps * eps)
    total = None
    for a, g in enumerate(grads):
        g = g / norm
        # backward difference, the negative adjoint of the replicated forward one
        shifted = xp.concatenate([xp.zeros_like(xp.take(g, [0], axis=a)),
                                  xp.take(g, range(x.shape[a] - 1), axis=a)], axis=a)
        term = g - shifted
        total = term if total is None else total + term
    return total
