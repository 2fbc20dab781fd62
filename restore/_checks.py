"""The argument checks every part of restore shares: numbers, integers, flags,
channel axes and image arrays.

Validate at the public edge, once. Each check returns the value it accepts,
converted (a float, an int, a bool, an array), and refuses anything else with
one sentence that names the argument, says what is accepted and what was given:

    lam must be a finite positive number or 'auto', got -1

Internal helpers trust what these return.
"""

import math
import numbers

import numpy as np

from ._backend import array_module

#: The bounds :func:`check_number` knows, by the word its message uses.
_BOUNDS = {
    None: lambda x: True,
    "positive": lambda x: x > 0,
    "non-negative": lambda x: x >= 0,
}


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind: not an array of real numbers, or a channel
    axis that is not an integer.

    A :class:`TypeError`, as Python has it, and a :class:`ValueError` too: parts
    of restore raised one, parts the other, before these checks lived in one
    place, and code that catches either keeps working (as ``io.UnsupportedOperation``
    is both an ``OSError`` and a ``ValueError``).
    """


def _words_text(words):
    """" or 'auto'", ", 'auto' or None": the words after what a message accepts."""
    if not words:
        return ""
    *first, last = map(repr, words)
    return "".join(f", {word}" for word in first) + f" or {last}"


def _is_word(value, words):
    return any(value is word or (isinstance(value, str) and value == word)
               for word in words if word is None or isinstance(word, str))


def _real(value):
    """`value` as a float when it is a real number, else None.

    Real numbers are ints and floats, NumPy (and CuPy) scalars and 0-d
    arrays of them; a bool or a string is not a number.
    """
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    dtype = getattr(value, "dtype", None)
    if getattr(value, "ndim", None) == 0 and dtype is not None and dtype.kind in "iuf":
        return float(value)
    return None


def check_number(name, value, *, bound=None, words=()):
    """Validate a real-number argument (or one of a few words).

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        What was given.
    bound : {None, "positive", "non-negative"}, optional
        None: any finite number; "positive": > 0; "non-negative": >= 0.
    words : tuple of str or None, optional
        Values accepted as they are, e.g. ``("auto",)`` or ``(None,)``.

    Returns
    -------
    number : float or str or None
        `value` as a float, or `value` itself when it is one of `words`.

    Raises
    ------
    ValueError
        ``"{name} must be a finite [bound] number[ or word], got {value!r}"``.

    Examples
    --------
    >>> check_number("lam", 2)
    2.0
    >>> check_number("lam", "auto", bound="positive", words=("auto",))
    'auto'
    >>> check_number("lam", -1, bound="positive", words=("auto",))
    Traceback (most recent call last):
    ...
    ValueError: lam must be a finite positive number or 'auto', got -1
    """
    if _is_word(value, words):
        return value
    number = _real(value)
    if number is None or not math.isfinite(number) or not _BOUNDS[bound](number):
        kind = f"finite {bound} number" if bound else "finite number"
        raise ValueError(f"{name} must be a {kind}{_words_text(words)}, got {value!r}")
    return number


def check_integer(name, value, *, minimum=1, words=()):
    """Validate a whole-number argument (an iteration count, a level, ``ndim``).

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        What was given: an int or a NumPy integer (not a bool, not a float).
    minimum : int, optional
        The smallest value accepted (1: a positive integer).
    words : tuple of str, optional
        Values accepted as they are, e.g. ``("auto",)``.

    Returns
    -------
    integer : int or str
        `value` as an int, or `value` itself when it is one of `words`.

    Raises
    ------
    ValueError
        ``"{name} must be a positive integer[ or word], got {value!r}"``.

    Examples
    --------
    >>> check_integer("iterations", 0, words=("auto",))
    Traceback (most recent call last):
    ...
    ValueError: iterations must be a positive integer or 'auto', got 0
    """
    if _is_word(value, words):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {kind}{_words_text(words)}, got {value!r}")
    return int(value)


def check_flag(name, value):
    """Validate a boolean argument (``accelerate=``, ``isotropic=``...).

    Returns
    -------
    flag : bool

    Raises
    ------
    TypeError
        ``"{name} must be True or False, got {value!r}"`` for anything that is
        not a bool (a string such as "no" is not).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_channel_axis(channel_axis, shape, name="image"):
    """Validate ``channel_axis`` for an array of `shape`.

    Parameters
    ----------
    channel_axis : int or None
        The axis of colour channels, negative from the end, or None.
    shape : tuple of int
        The shape of the array it indexes.
    name : str, optional
        The array's name, for the message.

    Returns
    -------
    axis : int or None
        The axis as a non-negative index, or None.

    Raises
    ------
    ArgumentTypeError
        For a channel axis that is not an integer (a bool is not).
    ValueError
        For an integer outside ``[-ndim, ndim - 1]``.

    Examples
    --------
    >>> check_channel_axis(-1, (8, 8, 3))
    2
    """
    if channel_axis is None:
        return None
    ndim = len(shape)
    text = (f"channel_axis must be None or an integer in [-{ndim}, {ndim - 1}] (an axis of "
            f"{name} with shape {tuple(shape)}), got {channel_axis!r}")
    if isinstance(channel_axis, (bool, np.bool_)) or not isinstance(channel_axis,
                                                                    (int, np.integer)):
        raise ArgumentTypeError(text)
    if not -ndim <= channel_axis < ndim:
        raise ValueError(text)
    return int(channel_axis) % ndim


def as_array(value, name="image", *, xp=None):
    """`value` as an array of real numbers (bool, integer or float), not converted.

    Parameters
    ----------
    value : array_like
        An array, NumPy or CuPy, or anything ``xp.asarray`` takes.
    name : str, optional
        The argument's name, for the message.
    xp : module, optional
        The array namespace; default that of `value`.

    Returns
    -------
    array : ndarray
        ``xp.asarray(value)``, its dtype kept.

    Raises
    ------
    ArgumentTypeError
        ``"{name} must be an array of real numbers, got ..."`` for a string,
        None, a ragged sequence or an array of another kind (complex, object,
        text).
    """
    xp = xp or array_module(value)
    if isinstance(value, (str, bytes)) or value is None:
        raise ArgumentTypeError(
            f"{name} must be an array of real numbers, got {type(value).__name__}")
    try:
        array = xp.asarray(value)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(f"{name} must be an array of real numbers, got "
                                f"{type(value).__name__} ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError(
            f"{name} must be an array of real numbers, got dtype {array.dtype}")
    return array


def check_finite(array, name, xp=None):
    """Refuse an array that holds NaN or Inf (one sentence naming `name`); return it."""
    xp = xp or array_module(array)
    if not bool(xp.isfinite(array).all()):
        raise ValueError(
            f"{name} contains NaN or Inf values; replace them with finite values first")
    return array


def check_image(value, name="image", *, xp=None, finite=True):
    """Validate an image argument: an array of real numbers, non-empty, finite.

    Parameters
    ----------
    value : array_like
        The image, NumPy or CuPy.
    name : str, optional
        The argument's name, for the message ("image", "psf", "clean"...).
    xp : module, optional
        The array namespace; default that of `value`.
    finite : bool, optional
        Also refuse NaN and Inf (one pass over the data).

    Returns
    -------
    image : ndarray
        ``xp.asarray(value)``, its dtype kept.

    Raises
    ------
    ArgumentTypeError
        Not an array of real numbers (see :func:`as_array`).
    ValueError
        ``"{name} must be a non-empty array, got shape ..."``, or
        ``"{name} contains NaN or Inf values; replace them with finite values first"``.

    Examples
    --------
    >>> import numpy as np
    >>> check_image(np.zeros((0, 4)), "clean")
    Traceback (most recent call last):
    ...
    ValueError: clean must be a non-empty array, got shape (0, 4)
    """
    xp = xp or array_module(value)
    image = as_array(value, name, xp=xp)
    if image.ndim == 0 or image.size == 0:
        raise ValueError(f"{name} must be a non-empty array, got shape {image.shape}")
    if finite:
        check_finite(image, name, xp)
    return image


def check_psf_fits(psf_shape, image_shape):
    """Refuse a PSF larger than the image (`image_shape`: its spatial axes)."""
    if any(k > n for k, n in zip(psf_shape, image_shape)):
        raise ValueError(
            f"psf of shape {tuple(psf_shape)} is larger than the image {tuple(image_shape)}; "
            "crop the PSF or give a larger image"
        )
