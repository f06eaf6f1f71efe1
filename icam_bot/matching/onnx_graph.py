"""The MiniLM forward pass as an ONNX graph, built from the same safetensors weights, for onnxruntime.

onnxruntime runs small batches several times faster than numpy's BLAS and degrades far less when the
CPU is busy. The graph is equivalent to the numpy pass in ``embedding.py`` (tests compare them). Each encoder
layer uses onnxruntime's fused CPU operators (``com.microsoft`` domain): ``Attention`` (the Q/K/V projection,
masked softmax and context in one kernel), ``SkipLayerNormalization`` (bias, residual and layer norm) and
``BiasGelu`` (bias and exact erf GELU): the same arithmetic in fewer, larger kernels, so a short question spends
less time between operators and a batch fewer passes over its activations.

Two variants (``PRECISIONS``), each cached under its own file name:

* ``int8`` (the default): dynamic int8 quantization. Every weight matrix is stored as int8 with one scale per output
  column (symmetric, as ``onnxruntime.quantization.quantize_dynamic(per_channel=True, weight_type=QInt8)`` would
  write it), and each layer's input is quantized to uint8 at run time (``DynamicQuantizeLinear``) for
  ``DynamicQuantizeMatMul`` and ``QAttention``. About twice as fast as fp32 on one thread; the vectors stay within
  cosine ~0.99 of fp32 and the validation ranking is unchanged (docs/operating.md, "The embedding model"). The
  activation's scale is taken over the whole input tensor, so the encoder runs this variant one text at a time
  (a text's vector then never depends on the other texts of a batch).
* ``fp32``: the plain float graph, equivalent to the numpy pass.
"""

from __future__ import annotations

import numpy as np

from icam_bot.env_values import EMBEDDING_PRECISIONS

HIDDEN = 384
HEADS = 12
LAYERS = 6
#: Bump when the graph changes: it names the cached graph file, so an older graph is never loaded.
GRAPH_VERSION = 3
#: The graph variants (ICAM_EMBEDDING_PRECISION), the default first.
PRECISIONS = EMBEDDING_PRECISIONS
#: Added to masked (padding) positions before the softmax: their weight is exactly 0 in float32.
MASK_FILTER = -1e9


def quantize_columns(wt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A [K, N] weight as int8 (-127..127) and one float32 scale per column (symmetric: zero point 0)."""
    scale = np.abs(wt).max(axis=0) / np.float32(127.0)
    scale[scale == 0] = 1.0
    quantized = np.clip(np.rint(wt / scale), -127, 127).astype(np.int8)
    return quantized, scale.astype(np.float32)


def build_model_bytes(weights: dict[str, np.ndarray], precision: str = "int8") -> bytes:
    """Serialise the BERT encoder + mean pooling + L2 normalisation as an ONNX model (opset 17 + com.microsoft),
    with float (``fp32``) or dynamically quantized (``int8``) projections."""
    from onnx import TensorProto, helper, numpy_helper

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    int8 = precision == "int8"

    inits = []
    nodes = []
    w = weights

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.array(value, copy=True, order="C"), name))
        return name

    def op(kind: str, inputs: list[str], domain: str | None = None, **attrs: object) -> str:
        out = f"{kind}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], domain=domain, **attrs))
        return out

    def int8_weight(name: str, wt: np.ndarray) -> list[str]:
        """The quantized weight, its column scales and (zero) zero points, as initializer names."""
        quantized, scale = quantize_columns(wt)
        zero = np.zeros(scale.shape, dtype=np.int8)
        return [const(name + ".q", quantized), const(name + ".scale", scale), const(name + ".zero", zero)]

    def matmul(x: str, prefix: str) -> str:
        wt = w[prefix + ".weight"].T
        if int8:
            return op("DynamicQuantizeMatMul", [x, *int8_weight(prefix + ".wt", wt)], "com.microsoft")
        return op("MatMul", [x, const(prefix + ".wt", wt)])

    def attention(x: str, i: int, mask_index: str) -> str:
        """Self-attention: the Q/K/V projection (fused weights), masked softmax and context."""
        p = f"encoder.layer.{i}.attention.self."
        qkv_w = np.concatenate([w[p + f"{n}.weight"] for n in ("query", "key", "value")], 0).T
        qkv_b = const(f"qkv{i}.bias", np.concatenate([w[p + f"{n}.bias"] for n in ("query", "key", "value")]))
        attrs: dict[str, object] = {"num_heads": HEADS, "mask_filter_value": MASK_FILTER}
        if not int8:
            return op("Attention", [x, const(f"qkv{i}.wt", qkv_w), qkv_b, mask_index], "com.microsoft", **attrs)
        xq, x_scale, x_zero = (f"{x}_q", f"{x}_scale", f"{x}_zero")
        nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [xq, x_scale, x_zero]))
        wq, w_scale, w_zero = int8_weight(f"qkv{i}.wt", qkv_w)
        inputs = [xq, wq, qkv_b, x_scale, w_scale, mask_index, x_zero, w_zero]
        return op("QAttention", inputs, "com.microsoft", **attrs)

    def skip_layer_norm(x: str, residual: str, dense: str, norm: str) -> str:
        """LayerNorm(x + dense bias + residual): the dense layer's bias, the residual and the norm in one."""
        gamma, beta = const(norm + ".w", w[norm + ".weight"]), const(norm + ".b", w[norm + ".bias"])
        bias = const(dense + ".bias", w[dense + ".bias"])
        return op("SkipLayerNormalization", [x, residual, gamma, beta, bias], "com.microsoft", epsilon=1e-12)

    const("word", w["embeddings.word_embeddings.weight"])
    const("pos", w["embeddings.position_embeddings.weight"])
    const("type0", w["embeddings.token_type_embeddings.weight"][0])
    const("axis1", np.array([1], dtype=np.int64))
    const("axis2", np.array([2], dtype=np.int64))
    x = op("Add", [op("Gather", ["word", "input_ids"]), op("Gather", ["pos", "position_ids"])])
    ln = "embeddings.LayerNorm"
    x = op(
        "LayerNormalization",
        [op("Add", [x, "type0"]), const(ln + ".w", w[ln + ".weight"]), const(ln + ".b", w[ln + ".bias"])],
        epsilon=1e-12,
        axis=-1,
    )
    mask_index = op("Cast", ["mask"], to=TensorProto.INT32)
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        ctx = attention(x, i, mask_index)
        out = p + "attention.output"
        x = skip_layer_norm(matmul(ctx, out + ".dense"), x, out + ".dense", out + ".LayerNorm")
        up = p + "intermediate.dense"
        hidden = op("BiasGelu", [matmul(x, up), const(up + ".bias", w[up + ".bias"])], "com.microsoft")
        down = p + "output"
        x = skip_layer_norm(matmul(hidden, down + ".dense"), x, down + ".dense", down + ".LayerNorm")
    m = op("Unsqueeze", ["mask", "axis2"])
    total = op("ReduceSum", [op("Mul", [x, m]), "axis1"], keepdims=0)
    pooled = op("Div", [total, op("ReduceSum", [m, "axis1"], keepdims=0)])
    nodes.append(helper.make_node("LpNormalization", [pooled], ["embedding"], axis=-1, p=2))
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "seq"]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["seq"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model.SerializeToString()
