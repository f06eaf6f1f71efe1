"""The MiniLM forward pass as an ONNX graph, built from the same safetensors weights, for onnxruntime.

onnxruntime runs small batches several times faster than numpy's BLAS and degrades far less when the
CPU is busy. The graph is equivalent to the numpy pass in ``embedding.py`` (tests compare them).
"""

from __future__ import annotations

import numpy as np

HIDDEN = 384
HEADS = 12
HEAD_DIM = HIDDEN // HEADS
LAYERS = 6


def build_model_bytes(weights: dict[str, np.ndarray]) -> bytes:
    """Serialise the BERT encoder + mean pooling + L2 normalisation as an ONNX model (opset 17)."""
    from onnx import TensorProto, helper, numpy_helper

    inits = []
    nodes = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.array(value, copy=True, order="C"), name))
        return name

    def op(kind: str, inputs: list[str], **attrs: object) -> str:
        out = f"{kind}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    w = weights
    const("word", w["embeddings.word_embeddings.weight"])
    const("pos", w["embeddings.position_embeddings.weight"])
    const("type0", w["embeddings.token_type_embeddings.weight"][0])
    const("qkv_shape", np.array([0, 0, 3, HEADS, HEAD_DIM], dtype=np.int64))
    const("ctx_shape", np.array([0, 0, HIDDEN], dtype=np.int64))
    const("scale", np.array(1 / np.sqrt(HEAD_DIM), dtype=np.float32))
    const("neg", np.array(-1e9, dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("rsqrt2", np.array(0.7071067811865476, dtype=np.float32))
    const("axis1", np.array([1], dtype=np.int64))
    const("axis2", np.array([2], dtype=np.int64))
    const("axes12", np.array([1, 2], dtype=np.int64))
    for i in range(3):
        const(f"part{i}", np.array(i, dtype=np.int64))

    def layer_norm(x: str, prefix: str) -> str:
        return op(
            "LayerNormalization",
            [x, const(prefix + ".w", w[prefix + ".weight"]), const(prefix + ".b", w[prefix + ".bias"])],
            epsilon=1e-12,
            axis=-1,
        )

    def dense(x: str, prefix: str) -> str:
        y = op("MatMul", [x, const(prefix + ".wt", w[prefix + ".weight"].T)])
        return op("Add", [y, const(prefix + ".bias", w[prefix + ".bias"])])

    x = op("Add", [op("Gather", ["word", "input_ids"]), op("Gather", ["pos", "position_ids"])])
    x = layer_norm(op("Add", [x, "type0"]), "embeddings.LayerNorm")
    bias = op("Mul", [op("Sub", ["one", op("Unsqueeze", ["mask", "axes12"])]), "neg"])
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], 0)
        qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        qkv = op("Add", [op("MatMul", [x, const(f"qkv{i}.wt", qkv_w.T)]), const(f"qkv{i}.bias", qkv_b)])
        qkv = op("Transpose", [op("Reshape", [qkv, "qkv_shape"])], perm=[2, 0, 3, 1, 4])
        q, k, v = (op("Gather", [qkv, f"part{j}"], axis=0) for j in range(3))
        scores = op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])])
        probs = op("Softmax", [op("Add", [op("Mul", [scores, "scale"]), bias])], axis=-1)
        ctx = op("Reshape", [op("Transpose", [op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), "ctx_shape"])
        x = layer_norm(op("Add", [dense(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        h = op("Mul", [op("Mul", [h, op("Add", [op("Erf", [op("Mul", [h, "rsqrt2"])]), "one"])]), "half"])
        x = layer_norm(op("Add", [dense(h, p + "output.dense"), x]), p + "output.LayerNorm")
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
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()
