import numpy as np
import pytest

from icam_bot.matching.embedding import MODEL_SHA256, MiniLMEncoder, find_model_dir

pytestmark = pytest.mark.skipif(find_model_dir() is None, reason="embedding model not installed")


@pytest.fixture(scope="module")
def encoder():
    return MiniLMEncoder()  # verifies every model file against its pinned hash


@pytest.fixture(scope="module")
def fp32_encoder():
    return MiniLMEncoder(precision="fp32")


def test_the_default_graph_is_int8_when_onnxruntime_is_installed(encoder):
    assert encoder.precision == ("int8" if encoder.backend == "onnxruntime" else "fp32")


def test_matches_upstream_sentence_transformers(encoder, fp32_encoder):
    # all-MiniLM-L6-v2's documented similarity for this pair is 0.7553 (sentence-transformers quickstart)
    pair = ["A man is eating food.", "A man is eating a piece of bread."]
    a, b = fp32_encoder.encode(pair)
    assert float(a @ b) == pytest.approx(0.7553, abs=5e-4)
    a, b = encoder.encode(pair)  # int8: scores move by about 0.01
    assert float(a @ b) == pytest.approx(0.7553, abs=0.02)


@pytest.mark.parametrize("which", ["encoder", "fp32_encoder"])
def test_vectors_are_unit_length_and_batch_independent(which, request):
    encoder = request.getfixturevalue(which)
    texts = ["reset my PIV PIN", "what does PACS stand for", "a much longer sentence about certificates " * 5]
    batch = encoder.encode(texts, batch_size=2)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    singles = np.stack([encoder.encode_one(t) for t in texts])
    assert np.allclose(batch, singles, atol=1e-5)
    threaded = encoder.encode(texts, batch_size=2, threads=2)
    assert np.allclose(batch, threaded, atol=1e-6)


def test_the_loaded_model_is_the_pinned_one(encoder):
    assert len(MODEL_SHA256) == 64
    assert encoder.sha256 == MODEL_SHA256
    assert set(encoder.file_hashes) == {"model.safetensors", "tokenizer.json"}


def test_empty_input(encoder):
    assert encoder.encode([]).shape == (0, 384)


def test_numpy_and_onnxruntime_backends_agree():
    pytest.importorskip("onnxruntime")
    texts = ["How do I reset my PIV PIN?", "x", "a longer question about derived PIV credentials on phones " * 3]
    plain = MiniLMEncoder(backend="numpy")
    assert plain.precision == "fp32"
    vectors = plain.encode(texts)
    fast = MiniLMEncoder(backend="onnxruntime", precision="fp32").encode(texts)
    assert np.abs(fast - vectors).max() < 1e-4
    int8 = MiniLMEncoder(backend="onnxruntime", precision="int8").encode(texts)
    assert (int8 * vectors).sum(axis=1).min() > 0.98  # the same space, within int8 rounding


def test_each_precision_caches_its_own_graph(tmp_path):
    pytest.importorskip("onnxruntime")
    MiniLMEncoder(cache_dir=tmp_path, precision="int8")
    MiniLMEncoder(cache_dir=tmp_path, precision="fp32")
    names = sorted(p.name for p in tmp_path.glob("*.onnx"))
    assert [n.rsplit("-", 1)[1] for n in names] == ["fp32.onnx", "int8.onnx"]
    with pytest.raises(ValueError, match="precision"):
        MiniLMEncoder(precision="int4")
