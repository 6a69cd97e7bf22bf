"""Small image classifiers used as attack targets (plain ``nn.Module`` classes, no paper logic).

The three MNIST target models of AdvGAN (Xiao et al., IJCAI 2018, Sec. 4.1): models A and B are the
MNIST architectures of Tramer et al. ("Ensemble Adversarial Training", ICLR 2018, appendix), model C is
the MNIST network of Carlini & Wagner ("Towards Evaluating the Robustness of Neural Networks", S&P 2017).
(A and B checked layer by layer against the authors' Keras code, ftramer/ensemble-adv-training mnist.py.)
All take ``[N, C, 28, 28]`` images in [0, 1] and return logits ``[N, num_classes]``; ``in_channels`` and
``image_size`` are exposed so the same layouts serve Fashion-MNIST or other small square images.

    A: conv64 5x5 - ReLU - conv64 5x5 - ReLU - dropout .25 - fc128 - ReLU - dropout .5 - fc
    B: dropout .2 - conv64 8x8/2 (TF 'same') - ReLU - conv128 6x6/2 - ReLU - conv128 5x5 - ReLU - dropout .5 - fc
    C: conv32 3x3 - ReLU - conv32 3x3 - ReLU - maxpool 2 - conv64 3x3 - ReLU - conv64 3x3 - ReLU - maxpool 2
       - fc200 - ReLU - dropout .5 - fc200 - ReLU - fc   (as C&W's train_models.py, params 32/32/64/64/200/200)

``SmallCNN``, ``MLP`` and ``LinearSoftmax`` are light models for tests and quick experiments.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ModelA", "ModelB", "ModelC", "SmallCNN", "MLP", "LinearSoftmax", "MNIST_MODELS", "make_model",
           "tf_same_padding"]


def _conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zero padding of TensorFlow / Keras ``padding='same'`` along one axis: the output has
    ceil(size / stride) positions, the total padding max((out - 1) * stride + kernel - size, 0) is split with
    the smaller half before (e.g. 28, kernel 8, stride 2: 3 / 3; 27: 3 / 4)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _check_size(model: str, image_size, smallest: int) -> None:
    """An image side the layers can take: an integer >= ``smallest`` (NumPy integers too). A smaller one failed at
    the first forward pass inside torch ("Kernel size can't be greater than actual input size", "Output size is too
    small"), naming no model or size; a float one at construction in nn.Linear."""
    from paperworks.core.config import is_int

    if not is_int(image_size, smallest):
        raise ValueError(f"{model}: image_size must be an integer >= {smallest} (its convolutions and pooling need "
                         f"images of at least {smallest} x {smallest} pixels; got {image_size!r})")


class ModelA(nn.Module):
    """Tramer et al. 2018 MNIST model A (two 5x5 convolutions, valid padding)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        _check_size("ModelA", image_size, 9)
        s = _conv_out(_conv_out(image_size, 5), 5)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 5), nn.ReLU(),
            nn.Conv2d(64, 64, 5), nn.ReLU(),
            nn.Dropout(0.25),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * s * s, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class ModelB(nn.Module):
    """Tramer et al. 2018 MNIST model B (input dropout, strided 8x8 / 6x6 / 5x5 convolutions)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        _check_size("ModelB", image_size, 27)
        # first convolution uses TF/Keras 'same' padding with stride 2: output ceil(size / 2)
        pad = tf_same_padding(image_size, 8, 2)
        s = _conv_out(_conv_out(_conv_out(image_size + sum(pad), 8, 2), 6, 2), 5)
        self.features = nn.Sequential(
            nn.Dropout(0.2),
            nn.ZeroPad2d(pad * 2),
            nn.Conv2d(in_channels, 64, 8, stride=2), nn.ReLU(),
            nn.Conv2d(64, 128, 6, stride=2), nn.ReLU(),
            nn.Conv2d(128, 128, 5), nn.ReLU(),
            nn.Dropout(0.5),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(128 * s * s, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class ModelC(nn.Module):
    """Carlini & Wagner 2017 MNIST model (four 3x3 convolutions, two max-pools, two fc200 layers)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        _check_size("ModelC", image_size, 16)
        s = _conv_out(_conv_out(image_size, 3), 3) // 2
        s = _conv_out(_conv_out(s, 3), 3) // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3), nn.ReLU(),
            nn.Conv2d(32, 32, 3), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(),
            nn.Conv2d(64, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * s * s, 200), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class SmallCNN(nn.Module):
    """Two strided 3x3 convolutions and a linear head (a cheap target for tests)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, width: int = 16):
        super().__init__()
        s = _conv_out(_conv_out(image_size, 3, 2, 1), 3, 2, 1)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * s * s, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """Fully connected ReLU network on flattened images."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28,
                 hidden: tuple[int, ...] = (128,)):
        super().__init__()
        dims = [in_channels * image_size * image_size, *hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(dims[-1], num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class LinearSoftmax(nn.Module):
    """Multinomial logistic regression on flattened images: logits = W vec(x) + b."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        self.linear = nn.Linear(in_channels * image_size * image_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1))


MNIST_MODELS = {"A": ModelA, "B": ModelB, "C": ModelC, "small": SmallCNN, "mlp": MLP, "linear": LinearSoftmax}


def make_model(name: str, **kwargs) -> nn.Module:
    """Build a model by name (A, B, C, small, mlp, linear)."""
    if name not in MNIST_MODELS:
        from paperworks.core.errors import UnknownNameError

        raise UnknownNameError("MNIST model", name, MNIST_MODELS)
    return MNIST_MODELS[name](**kwargs)
