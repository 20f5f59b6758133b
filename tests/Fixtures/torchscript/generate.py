#!/usr/bin/python3
"""Writes the TorchScript fixtures and PyTorch's reference outputs for them.

Run with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/Fixtures/torchscript/generate.py

Each fixture is a folder with best_model.pt (torch.jit.save of a traced or scripted module), manifest.json (its
SHA-256 and what it outputs) and reference.json (64 input rows and PyTorch's outputs for them on CPU). The weights
are seeded random initialisations, not trained models. The folders under bad/ are modules the worker must refuse.
"""
import hashlib
import json
import os
from typing import Tuple

import torch
from torch import nn

WIDTH = 43
ROWS = 64
HERE = os.path.dirname(os.path.abspath(__file__))


class Deep(nn.Module):
    """Three hidden layers with a tanh: deeper than the seed's network."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(WIDTH, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 64), nn.Tanh()
        )
        self.actor = nn.Linear(64, 3)
        self.critic = nn.Linear(64, 1)

    def forward(self, x):
        h = self.body(x)
        return torch.softmax(self.actor(h), dim=-1), self.critic(h)


class Normed(nn.Module):
    """LayerNorm after each layer, GELU, a value of shape [N]; scripted, so its control flow is kept."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(WIDTH, 96)
        self.norm1 = nn.LayerNorm(96)
        self.second = nn.Linear(96, 96)
        self.norm2 = nn.LayerNorm(96)
        self.actor = nn.Linear(96, 3)
        self.critic = nn.Linear(96, 1)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h = nn.functional.gelu(self.norm1(self.first(x)))
        h = torch.relu(self.norm2(self.second(h)))
        if h.size(0) == 0:
            return torch.zeros(0, 3, dtype=x.dtype), torch.zeros(0, dtype=x.dtype)
        return torch.softmax(self.actor(h), dim=-1), self.critic(h).squeeze(-1)


class Logits(nn.Module):
    """Logits only, no value head."""

    def __init__(self, actions=3, width=WIDTH):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, actions))

    def forward(self, x):
        return self.net(x)


def perturb(module):
    # LayerNorm parameters away from 1 and 0, so that a loader that skips them would be caught.
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return module


def write(folder, scripted, kind, outputs, inputs, reference=True):
    path = os.path.join(HERE, folder)
    os.makedirs(path, exist_ok=True)
    model_path = os.path.join(path, "best_model.pt")
    torch.jit.save(scripted, model_path)
    with open(model_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(path, "manifest.json"), "w") as f:
        json.dump({"sha256": sha, "outputs": outputs}, f, indent=2)
        f.write("\n")
    if not reference:
        return
    loaded = torch.jit.load(model_path)
    with torch.no_grad():
        out = loaded(inputs)
    probs, values = (out if isinstance(out, tuple) else (out, None))
    if outputs == "logits":
        probs = torch.softmax(probs, dim=-1)
    with open(os.path.join(path, "reference.json"), "w") as f:
        json.dump(
            {
                "torch": torch.__version__,
                "kind": kind,
                "outputs": outputs,
                "state_dim": WIDTH,
                "parameters": sum(p.numel() for p in scripted.parameters()),
                "inputs": inputs.tolist(),
                "probs": probs.tolist(),
                "values": None if values is None else values.reshape(-1).tolist(),
            },
            f,
        )
        f.write("\n")


def main():
    torch.manual_seed(20261206)
    inputs = torch.randn(ROWS, WIDTH)
    example = torch.randn(4, WIDTH)

    write("deep_traced", torch.jit.trace(Deep().eval(), example), "traced", "probabilities", inputs)
    write("layernorm_scripted", torch.jit.script(perturb(Normed()).eval()), "scripted", "probabilities", inputs)
    write("logits_traced", torch.jit.trace(Logits().eval(), example), "traced", "logits", inputs)
    # Refused at load: four actions, and a module that takes 44 inputs.
    write("bad/four_actions", torch.jit.trace(Logits(actions=4).eval(), example), "traced", "logits", inputs, reference=False)
    write(
        "bad/width_44",
        torch.jit.trace(Logits(width=44).eval(), torch.randn(4, 44)),
        "traced",
        "logits",
        inputs,
        reference=False,
    )


if __name__ == "__main__":
    main()
