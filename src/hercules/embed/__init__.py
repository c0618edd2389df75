"""Embedding backends: anything with ``embed(texts) -> (n, d) float32 array``."""

from hercules.embed.base import CallableEmbedder, CheckedEmbedder, Embedder, as_embedder
from hercules.embed.onnx_minilm import MiniLMEmbedder
from hercules.embed.openai_embed import OpenAIEmbedder

__all__ = [
    "CallableEmbedder",
    "CheckedEmbedder",
    "Embedder",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "as_embedder",
]
