"""The MiniLM forward pass as an ONNX graph, built from the same safetensors weights, for onnxruntime.

onnxruntime runs small batches several times faster than numpy's BLAS and degrades far less when the
CPU is busy. The graph is equivalent to the numpy pass in ``embedding.py`` (tests compare them). Each encoder
layer uses onnxruntime's fused CPU operators (``com.microsoft`` domain): ``Attention`` (the Q/K/V projection,
masked softmax and context in one kernel), ``SkipLayerNormalization`` (bias, residual and layer norm) and
``BiasGelu`` (bias and exact erf GELU): the same arithmetic in fewer, larger kernels, so a short question spends
less time between operators and a batch fewer passes over its activations.
"""

from __future__ import annotations

import numpy as np

HIDDEN = 384
HEADS = 12
LAYERS = 6
#: Bump when the graph changes: it names the cached graph file, so an older graph is never loaded.
GRAPH_VERSION = 2
#: Added to masked (padding) positions before the softmax: their weight is exactly 0 in float32.
MASK_FILTER = -1e9


def build_model_bytes(weights: dict[str, np.ndarray]) -> bytes:
    """Serialise the BERT encoder + mean pooling + L2 normalisation as an ONNX model (opset 17 + com.microsoft)."""
    from onnx import TensorProto, helper, numpy_helper

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

    def matmul(x: str, prefix: str) -> str:
        return op("MatMul", [x, const(prefix + ".wt", w[prefix + ".weight"].T)])

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
        qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], 0)
        qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        ctx = op(
            "Attention",
            [x, const(f"qkv{i}.wt", qkv_w.T), const(f"qkv{i}.bias", qkv_b), mask_index],
            "com.microsoft",
            num_heads=HEADS,
            mask_filter_value=MASK_FILTER,
        )
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
