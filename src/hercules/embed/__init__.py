"""Embedding backends: anything with ``embed(texts) -> (n, d) float32 array``."""

from hercules.embed.base import CallableEmbedder, Embedder, as_embedder
from hercules.embed.onnx_minilm import MiniLMEmbedder

__all__ = ["CallableEmbedder", "Embedder", "MiniLMEmbedder", "as_embedder"]
