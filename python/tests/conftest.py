"""Shared fixtures: the build tree's tools and small generated nets."""
import gzip
import os
import subprocess

import numpy as np
import pytest

import lgc
from lgc import _native

FASHION = "/usr/share/datasets/fashion-mnist"


def tool(name):
    return _native.find_tool(name)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("lgc")


def generate(path, inputs, layers, classes, seed=1, extra=()):
    subprocess.run([tool("lgn-gen"), "--inputs", str(inputs), "--layers", layers,
                    "--classes", str(classes), "--seed", str(seed), "-o", str(path),
                    *extra], check=True)
    return path


@pytest.fixture(scope="session")
def thermometer_net(workdir):
    """A random 120-bit net read as 3 thresholds over 40 features, as .lgn
    and compiled .so."""
    raw = generate(workdir / "raw.lgn", 120, "300,200", 5, extra=["--pass-through", "0.3"])
    net = lgc.read_lgn(raw)
    net.features = 40
    net.levels = np.array([0.25, 0.5, 0.75], dtype=np.float32)
    lgn = workdir / "thermo.lgn"
    lgc.write_lgn(lgn, net)
    so = lgc.compile(lgn, workdir / "thermo.so", opt=2)
    return lgn, so


@pytest.fixture(scope="session")
def fashion_test():
    """Fashion-MNIST's test images (n, 784) uint8 and labels, or a skip."""
    images = os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")
    labels = os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz")
    if not os.path.exists(images):
        pytest.skip("Fashion-MNIST is not installed (dataset-fashion-mnist)")
    x = np.frombuffer(gzip.open(images).read()[16:], dtype=np.uint8).reshape(-1, 784)
    y = np.frombuffer(gzip.open(labels).read()[8:], dtype=np.uint8)
    return x, y
