"""Colour channels: a function of one channel, applied to every channel.

Every function that takes ``channel_axis`` works channel by channel through
:func:`per_channel` (results stacked back on that axis) or :func:`channels`
(the channels as a list, for results that are not images). Both validate
``channel_axis`` once, with :func:`restore._checks.check_channel_axis`.
"""

from ._backend import array_module
from ._checks import check_channel_axis


def channels(image, channel_axis, name="image"):
    """The channels of `image` along `channel_axis`, as a list of views.

    Parameters
    ----------
    image : ndarray
        NumPy or CuPy array.
    channel_axis : int or None
        Axis of colour channels; None: the whole image is the one channel.
    name : str, optional
        The image's name, for the message about a bad `channel_axis`.

    Returns
    -------
    channels : list of ndarray
        ``[image]`` without a channel axis; otherwise one view per channel,
        each without the channel axis.

    Examples
    --------
    >>> import numpy as np
    >>> [c.shape for c in channels(np.zeros((4, 5, 3)), -1)]
    [(4, 5), (4, 5), (4, 5)]
    """
    axis = check_channel_axis(channel_axis, image.shape, name)
    if axis is None:
        return [image]
    xp = array_module(image)
    moved = xp.moveaxis(image, axis, -1)
    return [moved[..., c] for c in range(moved.shape[-1])]


def per_channel(func, image, channel_axis, name="image"):
    """``func`` applied to each channel of `image`, the results stacked on `channel_axis`.

    Parameters
    ----------
    func : callable
        ``func(channel) -> array`` for one channel (an array without the
        channel axis); every call returns the same shape.
    image : ndarray
        NumPy or CuPy array.
    channel_axis : int or None
        Axis of colour channels; None: ``func(image)``.
    name : str, optional
        The image's name, for the message about a bad `channel_axis`.

    Returns
    -------
    result : ndarray
        ``func(image)`` without a channel axis; otherwise the per-channel
        results stacked into a new array whose axis `channel_axis` runs over
        the channels.

    Examples
    --------
    >>> import numpy as np
    >>> rgb = np.arange(24.0).reshape(2, 4, 3)
    >>> bool((per_channel(lambda c: 2 * c, rgb, -1) == 2 * rgb).all())
    True
    """
    axis = check_channel_axis(channel_axis, image.shape, name)
    if axis is None:
        return func(image)
    xp = array_module(image)
    return xp.stack([func(c) for c in channels(image, axis)], axis=axis)
