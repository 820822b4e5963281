"""Writes scoreq_stub.onnx, the stand-in for ScoreQ's weights that tests/test_evaluate.py puts in
a temporary ~/.cache/scoreq, so the real `scoreq` package runs end to end without its real
weights (which it downloads from zenodo.org, out of reach in CI). The stub takes ScoreQ's input,
a waveform of shape (1, N) named "wav", and returns 10 x its mean absolute amplitude, a scalar:
a score a test can predict exactly. Needs the `onnx` package (not a scorelab dependency):
    python tests/data/make_scoreq_stub.py
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

wav = helper.make_tensor_value_info("wav", TensorProto.FLOAT, [1, "n"])
score = helper.make_tensor_value_info("score", TensorProto.FLOAT, [])
ten = helper.make_tensor("ten", TensorProto.FLOAT, [], [10.0])
nodes = [helper.make_node("Abs", ["wav"], ["magnitude"]),
         helper.make_node("ReduceMean", ["magnitude"], ["mean"], keepdims=0),
         helper.make_node("Mul", ["mean", "ten"], ["score"])]
graph = helper.make_graph(nodes, "scoreq_stub", [wav], [score], initializer=[ten])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="scorelab tests")
model.ir_version = 8  # readable by onnxruntime >= 1.15
onnx.checker.check_model(model)
onnx.save(model, Path(__file__).with_name("scoreq_stub.onnx"))
