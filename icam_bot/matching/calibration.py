"""Weights and decision thresholds, chosen on the validation split (``icam-bot eval --tune``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    """How signals combine into one score, and the scores at which the matcher answers or suggests."""

    emb_max: float = 0.45
    emb_centroid: float = 0.25
    bm25: float = 0.2
    fuzzy: float = 0.1
    emb_answer: float = 0.0
    bm25_answer: float = 0.0
    glossary_penalty: float = 0.0
    #: Weight of the re-rank pool's coverage of the question (IDF-weighted share of its terms the entry holds).
    coverage: float = 0.0
    answer_at: float = 0.62
    answer_margin: float = 0.03
    suggest_at: float = 0.45
    expand_query_for_embedding: bool = False

    def to_json(self) -> dict[str, float | bool]:
        """Plain JSON values (tuning may hand over numpy float32 scalars, which ``json`` refuses; six decimals
        keep the file free of their binary noise)."""
        return {k: v if isinstance(v, bool) else round(float(v), 6) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class CalibrationSet:
    """One calibration with the embedding model and one without it (lexical signals only)."""

    semantic: Calibration
    lexical: Calibration

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> CalibrationSet:
        if not path.is_file():
            return cls(Calibration(), Calibration(emb_max=0.0, emb_centroid=0.0, bm25=0.7, fuzzy=0.3))
        data = json.loads(path.read_text())
        names = {f.name for f in fields(Calibration)}
        return cls(
            Calibration(**{k: v for k, v in data["semantic"].items() if k in names}),
            Calibration(**{k: v for k, v in data["lexical"].items() if k in names}),
        )

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(
            json.dumps({"semantic": self.semantic.to_json(), "lexical": self.lexical.to_json()}, indent=2) + "\n"
        )
