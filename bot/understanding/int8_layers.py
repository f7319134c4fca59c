"""The sentence encoder's transformer layers with int8 weights, run by onnxruntime.

    layers = Int8Layers(encoder_layers, heads=12, eps=1e-12)
    pooled = layers(x, mask)     # x (n, length, 384) after the embeddings; mask (n, length)

Why: numpy computes a message in float32 and streams all 42 MB of the six layers' weights
from memory for every message, about 6 ms however short the message (docs/benchmarks.md).
Here each weight matrix is stored as int8 with one scale per output column (symmetric,
zero point 0), a quarter of the bytes, and multiplied by onnxruntime's integer kernels
(`DynamicQuantizeMatMul`, which quantises a run's activations on the fly with one scale for
the whole tensor: the encoder therefore runs one text at a time). Layer norm, attention,
GELU and pooling stay in float32. The vectors differ from float32's by a cosine of about
0.993 (tests/understanding/test_encoder.py bounds it). The integer kernels differ between
CPUs (without AVX-VNNI, as on our 2-core machine, pairs of products saturate at int16), so
the last bits of a vector depend on the CPU it was computed on; training and prediction run
on the same one.

The graph is built in memory from the same arrays numpy uses, with `onnx.helper`: nothing
is downloaded and no file is written. onnxruntime and onnx are the `encoder` extra
(pyproject.toml); without them the encoder runs in numpy.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from bot.understanding.encoder import _Layer

OPSET = 17  # LayerNormalization
WARM_UP_LENGTHS = (8, 24, 48)
THREADS = 4  # at most: one message is too small to share among more cores


def available() -> bool:
    """Whether onnxruntime and onnx are installed (the `encoder` extra)."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def quantise(weights: NDArray[np.float32]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """int8 weights and one scale per column, symmetric: weights ~= q * scale."""
    scale = np.abs(weights).max(axis=0) / np.float32(127.0)
    scale = np.where(scale == 0, np.float32(1.0), scale).astype(np.float32)
    q = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
    return q, scale


class _Graph:
    """Nodes and constants of one ONNX graph, named in order."""

    def __init__(self) -> None:
        from onnx import numpy_helper

        self._from_array = numpy_helper.from_array
        self.nodes: list[Any] = []
        self.constants: list[Any] = []
        self._count = 0

    def constant(self, name: str, value: NDArray[Any] | np.generic) -> str:
        self.constants.append(self._from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: Sequence[str], domain: str = "", **attributes: Any) -> str:
        from onnx import helper

        self._count += 1
        output = f"{op}_{self._count}"
        self.nodes.append(
            helper.make_node(op, list(inputs), [output], name=output, domain=domain, **attributes)
        )
        return output

    def dense(self, x: str, weights: NDArray[np.float32], bias: NDArray[np.float32]) -> str:
        """x W + b with W in int8."""
        q, scale = quantise(weights)
        name = f"w{self._count}"
        return self.node(
            "DynamicQuantizeMatMul",
            [
                x,
                self.constant(name, q),
                self.constant(name + "_scale", scale),
                self.constant(name + "_zero", np.zeros(q.shape[1], dtype=np.int8)),
                self.constant(name + "_bias", bias),
            ],
            domain="com.microsoft",
        )


def build_model(layers: Sequence[_Layer], heads: int, eps: float) -> bytes:
    """The serialised ONNX model: inputs x (n, length, d) and mask (n, length), output
    pooled (n, d), the masked mean of the last layer (not yet unit length)."""
    from onnx import TensorProto, helper

    d = layers[0].out.shape[0]
    size = d // heads
    g = _Graph()
    one = g.constant("one", np.float32(1.0))
    scale = g.constant("scale", np.float32(1.0 / np.sqrt(size)))
    split_heads = g.constant("split_heads", np.array([0, 0, 3, heads, size], dtype=np.int64))
    join_heads = g.constant("join_heads", np.array([0, 0, d], dtype=np.int64))
    # padding gets -1e9 before the softmax: (n, 1, 1, length)
    blocked = g.node("Mul", [g.node("Sub", [one, "mask"]), g.constant("minus", np.float32(-1e9))])
    blocked = g.node(
        "Unsqueeze", [blocked, g.constant("axes_1_2", np.array([1, 2], dtype=np.int64))]
    )
    picks = [g.constant(f"pick{i}", np.array(i, dtype=np.int64)) for i in range(3)]
    x = "x"
    for i, layer in enumerate(layers):
        qkv = g.dense(x, layer.qkv, layer.qkv_bias)  # (n, length, 3d)
        qkv = g.node("Transpose", [g.node("Reshape", [qkv, split_heads])], perm=[2, 0, 3, 1, 4])
        q, k, v = (g.node("Gather", [qkv, pick]) for pick in picks)  # (n, heads, length, size)
        scores = g.node("MatMul", [q, g.node("Transpose", [k], perm=[0, 1, 3, 2])])
        scores = g.node("Add", [g.node("Mul", [scores, scale]), blocked])
        context = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), v])
        context = g.node("Reshape", [g.node("Transpose", [context], perm=[0, 2, 1, 3]), join_heads])
        attended = g.node("Add", [g.dense(context, layer.out, layer.out_bias), x])
        x = g.node(
            "LayerNormalization",
            [
                attended,
                g.constant(f"n1w{i}", layer.norm1[0]),
                g.constant(f"n1b{i}", layer.norm1[1]),
            ],
            axis=-1,
            epsilon=eps,
        )
        up = g.dense(x, layer.up, layer.up_bias)
        gelu = g.node("Gelu", [up], domain="com.microsoft")  # erf's, one kernel for five
        x = g.node(
            "LayerNormalization",
            [
                g.node("Add", [g.dense(gelu, layer.down, layer.down_bias), x]),
                g.constant(f"n2w{i}", layer.norm2[0]),
                g.constant(f"n2b{i}", layer.norm2[1]),
            ],
            axis=-1,
            epsilon=eps,
        )
    axis1 = g.constant("axis1", np.array([1], dtype=np.int64))
    masked = g.node(
        "Mul",
        [x, g.node("Unsqueeze", ["mask", g.constant("axis2", np.array([2], dtype=np.int64))])],
    )
    total = g.node("ReduceSum", [masked, axis1], keepdims=0)
    g.nodes.append(
        helper.make_node(
            "Div",
            [total, g.node("ReduceSum", ["mask", axis1], keepdims=1)],
            ["pooled"],
            name="pool",
        )
    )
    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "length", d]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["n", "length"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["n", d])],
        g.constants,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        producer_name="balcao",
    )
    model.ir_version = 8  # readable by every onnxruntime the extra allows
    data: bytes = model.SerializeToString()
    return data


def _usable_cores() -> int:
    """Cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _session(model: bytes, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # threads sleep between messages instead of spinning on the server's cores
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class Int8Layers:
    """Callable (x, mask) -> pooled; safe to share between threads (onnxruntime's `run` is).

    Two sessions of one model: `__call__` spreads one text over the cores (a customer's
    message, latency first); `bulk` runs on the calling thread alone, so that as many
    threads as cores encode training texts side by side (throughput first)."""

    def __init__(self, layers: Sequence[_Layer], heads: int, eps: float) -> None:
        model = build_model(layers, heads, eps)
        self.cores = max(1, min(THREADS, _usable_cores()))
        self._spread = _session(model, self.cores)
        self._alone = _session(model, 1)
        self._warm_up(layers[0].out.shape[0])

    def _warm_up(self, width: int) -> None:
        """One run per length class before the first customer's message: onnxruntime
        sizes its buffers and starts its threads on first use, which made the first
        messages after a start up to 14 ms instead of 3 (about 40 ms, once)."""
        for length in WARM_UP_LENGTHS:
            x = np.zeros((1, length, width), dtype=np.float32)
            self(x, np.ones((1, length), dtype=np.float32))

    def __call__(self, x: NDArray[np.float32], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        (pooled,) = self._spread.run(["pooled"], {"x": x, "mask": mask})
        result: NDArray[np.float32] = pooled
        return result

    def bulk(self, x: NDArray[np.float32], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        (pooled,) = self._alone.run(["pooled"], {"x": x, "mask": mask})
        result: NDArray[np.float32] = pooled
        return result
