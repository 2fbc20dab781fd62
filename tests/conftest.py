import numpy as np
import pytest

from restore._backend import cupy_available


def pytest_collection_modifyitems(config, items):
    if cupy_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def camera():
    """scikit-image's camera on [0, 1], float32, cropped to 128² for speed."""
    from skimage import data

    return (data.camera()[128:384:2, 128:384:2] / 255.0).astype(np.float32)
