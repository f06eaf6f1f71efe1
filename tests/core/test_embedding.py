import numpy as np
import pytest

from icam_bot.matching.embedding import MODEL_SHA256, MiniLMEncoder, find_model_dir

pytestmark = pytest.mark.skipif(find_model_dir() is None, reason="embedding model not installed")


@pytest.fixture(scope="module")
def encoder():
    return MiniLMEncoder()  # verifies every model file against its pinned hash


def test_matches_upstream_sentence_transformers(encoder):
    # all-MiniLM-L6-v2's documented similarity for this pair is 0.7553 (sentence-transformers quickstart)
    a, b = encoder.encode(["A man is eating food.", "A man is eating a piece of bread."])
    assert float(a @ b) == pytest.approx(0.7553, abs=5e-4)


def test_vectors_are_unit_length_and_batch_independent(encoder):
    texts = ["reset my PIV PIN", "what does PACS stand for", "a much longer sentence about certificates " * 5]
    batch = encoder.encode(texts, batch_size=2)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    singles = np.stack([encoder.encode_one(t) for t in texts])
    assert np.allclose(batch, singles, atol=1e-5)


def test_the_loaded_model_is_the_pinned_one(encoder):
    assert len(MODEL_SHA256) == 64
    assert encoder.sha256 == MODEL_SHA256
    assert set(encoder.file_hashes) == {"model.safetensors", "tokenizer.json"}


def test_empty_input(encoder):
    assert encoder.encode([]).shape == (0, 384)


def test_numpy_and_onnxruntime_backends_agree():
    pytest.importorskip("onnxruntime")
    texts = ["How do I reset my PIV PIN?", "x", "a longer question about derived PIV credentials on phones " * 3]
    fast = MiniLMEncoder(backend="onnxruntime").encode(texts)
    plain = MiniLMEncoder(backend="numpy").encode(texts)
    assert np.abs(fast - plain).max() < 1e-4
