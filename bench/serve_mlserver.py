"""bench/serve's peer: an MLServer runtime that serves a model file written by `elman train` through PyTorch
(nn.RNN + nn.Linear, loaded by tools/load_in_torch.py) with elman-serve's tensors: TEXT (BYTES) in; LABEL and
PROBABILITIES out for a classifier, NEXT_PROBABILITIES for a language model.

model-settings.json: {"implementation": "serve_mlserver.ElmanTorch", "parameters": {"uri": MODEL_FILE}}, with
bench/ on PYTHONPATH. MLServer's adaptive batching (max_batch_size > 1) hands predict one request whose TEXT holds
the texts of several, and splits the outputs along their first dimension; so every output has one row per text.
"""
import json, os, sys

import torch
from mlserver import MLModel
from mlserver.codecs import StringCodec
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from load_in_torch import load, pieces  # noqa: E402


class ElmanTorch(MLModel):
    async def load(self) -> bool:
        torch.set_num_threads(int(os.environ.get("SERVE_TORCH_THREADS", "1")))
        path = self.settings.parameters.uri
        self.rnn, self.fc, meta, self.hidden, self.bidirectional, self.readout = load(path)
        self.rnn.eval()
        vocabulary = json.loads(meta["vocabulary"])
        self.symbols, self.level = vocabulary["symbols"], vocabulary["level"]
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.unknown = self.index.get("<unk>", 0)
        self.labels = json.loads(meta["labels"]) if "labels" in meta else None
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        texts = StringCodec.decode_input(payload.inputs[0])
        with torch.inference_mode():
            logits = self.last_logits(texts)
            n = len(texts)
            if self.labels:
                if len(self.labels) == 2:  # a two-label classifier's one logit, as elman's sigmoid head
                    p = torch.sigmoid(logits[:, 0])
                    probabilities = torch.stack([1 - p, p], dim=1)
                else:
                    probabilities = torch.softmax(logits, dim=-1)
                best = probabilities.argmax(dim=1).tolist()
                outputs = [ResponseOutput(name="LABEL", datatype="BYTES", shape=[n], data=[self.labels[k] for k in best]),
                           ResponseOutput(name="PROBABILITIES", datatype="FP32", shape=[n, len(self.labels)],
                                          data=probabilities.flatten().tolist())]
            else:
                probabilities = torch.softmax(logits, dim=-1)
                outputs = [ResponseOutput(name="NEXT_PROBABILITIES", datatype="FP32", shape=list(probabilities.shape),
                                          data=probabilities.flatten().tolist())]
        return InferenceResponse(model_name=self.name, id=payload.id, outputs=outputs)

    def last_logits(self, texts):
        """The head's logits after each text's last symbol: the texts one-hot, padded and packed, in one nn.RNN call."""
        ids = [[self.index.get(p, self.unknown) for p in pieces(t, self.level)] or [self.unknown] for t in texts]
        lengths = torch.tensor([len(s) for s in ids])
        padded = torch.zeros(int(lengths.max()), len(ids), dtype=torch.long)  # T×N
        for n, s in enumerate(ids):
            padded[: len(s), n] = torch.tensor(s)
        x = torch.nn.functional.one_hot(padded, len(self.symbols)).float()
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, h_n = self.rnn(packed)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out)
        last = out[lengths - 1, torch.arange(len(ids))]  # N×width: each text's output at its last step
        if self.bidirectional and self.readout == "finalState":
            last = torch.cat([last[:, : self.hidden], h_n[-1]], dim=-1)
        return self.fc(last)
