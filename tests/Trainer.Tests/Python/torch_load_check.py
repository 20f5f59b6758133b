#!/usr/bin/env python3
"""Reads a checkpoint the way torch.load does, with nothing but Python's standard library.

torch.save writes a zip: <prefix>/data.pkl is a pickle whose tensors are persistent ids
('storage', storage type, key, location, element count) pointing at raw little-endian bytes in
<prefix>/data/<key>, rebuilt by torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks). This follows the same protocol and refuses any other global, so a file it
reads is laid out as torch.load expects. Prints {"keys": [...], "tensors": {name: {"shape", "sum",
"first"}}} for the policy's state_dict (the dict itself, or its "policy_state_dict").
usage: torch_load_check.py CHECKPOINT
"""
import collections
import json
import pickle
import struct
import sys
import zipfile

FORMATS = {"FloatStorage": ("f", 4), "DoubleStorage": ("d", 8), "LongStorage": ("q", 8), "IntStorage": ("i", 4)}


class StorageType:
    def __init__(self, name):
        self.name = name


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, *metadata):
    count = 1
    for dim in size:
        count *= dim
    expected = []
    step = 1
    for dim in reversed(size):
        expected.insert(0, step)
        step *= dim
    if count > 1 and list(stride) != expected:
        raise ValueError(f"non-contiguous stride {stride} for size {size}")
    return {"shape": list(size), "values": storage[offset:offset + count]}


class TorchUnpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self.archive = archive
        self.prefix = prefix

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in FORMATS:
            return StorageType(name)
        raise pickle.UnpicklingError(f"torch.load would not meet global {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, location, count = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {kind}")
        code, size = FORMATS[storage_type.name]
        data = self.archive.read(f"{self.prefix}/data/{key}")
        if len(data) != count * size:
            raise ValueError(f"storage {key}: {len(data)} bytes for {count} elements")
        return struct.unpack(f"<{count}{code}", data)


with zipfile.ZipFile(sys.argv[1]) as archive:
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise SystemExit(f"expected one data.pkl, found {pickles}")
    prefix = pickles[0][: -len("/data.pkl")]
    with archive.open(pickles[0]) as f:
        root = TorchUnpickler(f, archive, prefix).load()

state = root.get("policy_state_dict", root)
print(json.dumps({
    "keys": sorted(root.keys()),
    "tensors": {k: {"shape": v["shape"], "sum": sum(v["values"]), "first": v["values"][0]} for k, v in state.items()},
}))
