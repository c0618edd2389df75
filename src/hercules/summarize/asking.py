"""The one engine that asks a language model about batches of things: cluster summaries
(:mod:`hercules.summarize.llm`) and level-0 item descriptions (:mod:`hercules.summarize.items`).

A caller cuts its work into batches of keys (cluster or item indices) and gives two functions:
``ask_for(batch) -> Ask`` (the prompt, its JSON schema, the answer budget, and ``parse``, which
turns an answer into one value per key and raises :class:`~hercules.summarize.schema.AnswerError`
on an unusable one), and ``failed(key, message)``, the value of a key that fails alone.
:meth:`Asker.map` then, for every batch:

* answers from ``cache`` when it holds a usable answer to the same prompt, schema and budget
  (reruns are free);
* else calls the model, bounded by ``timeout`` seconds, with back-off retries of the one shared
  :class:`~hercules.llm.retry.RetryPolicy` (two tries at most for a batch of several keys, which
  splitting fixes better, and no retry of an unreadable answer from a schema-constrained model,
  which would only repeat it);
* splits a batch that still fails in half and asks each half again, down to single keys, so
  one bad key never costs its neighbours their answers; a single key that fails gets
  ``failed(key, message)``;
* appends one record per call, cached or live, answered or failed, to ``call_log`` (and hands
  it to ``on_call``): time, model, the caller's ``tags`` (level, cluster ids), cached, prompt,
  response, prompt/completion tokens, seconds, error.

Up to ``concurrency`` batches are in flight at once. ``landed`` sees each batch's values as it
ends, in the caller's thread (per-call progress); the result is keyed, so it never depends on
which call finished first. Nothing here raises for a bad answer or a failed call; an exception
raised by ``landed`` (a cancelled job) stops the asking and propagates.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from hercules.cache import Cache, cache_key
from hercules.errors import ParameterError
from hercules.llm.base import Completion, call, model_id, supports_schema
from hercules.llm.retry import RetryPolicy
from hercules.summarize.schema import AnswerError

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


@dataclass(frozen=True)
class Ask(Generic[T]):
    """One question to the model: what to send, and how to read the answer."""

    prompt: str
    schema: dict[str, Any]  # sent only to a backend that ``supports_schema``
    max_tokens: int
    parse: Callable[[str], T]  # the answer's value; raises AnswerError on an unusable answer
    what: str  # names the call in log messages ("LLM call for clusters [3, 4]")
    tags: Mapping[str, Any] = field(default_factory=dict)  # copied into the call record


class Asker:
    """Asks ``llm`` with a cache, retries, a timeout, a concurrency limit and a call log.

    ``model`` names the model in cache keys and records (default: the backend's ``model_id``).
    """

    def __init__(
        self,
        llm: Any,
        *,
        retry: RetryPolicy | None = None,
        cache: Cache | None = None,
        timeout: float | None = None,
        concurrency: int = 1,
        call_log: list[dict[str, Any]] | None = None,
        on_call: Callable[[dict[str, Any]], None] | None = None,
        model: str | None = None,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ParameterError(f"concurrency must be an int >= 1; got {concurrency!r}.")
        self.llm = llm
        self.retry = retry if retry is not None else RetryPolicy()
        self.cache = cache
        self.timeout = timeout
        self.concurrency = concurrency
        self.call_log: list[dict[str, Any]] = call_log if call_log is not None else []
        self.on_call = on_call
        self.model_id = model or model_id(llm)
        self._log_lock = threading.Lock()

    # ------------------------------------------------------------------ many batches
    def map(
        self,
        batches: Sequence[list[K]],
        ask_for: Callable[[list[K]], Ask[dict[K, V]]],
        failed: Callable[[K, str], V],
        landed: Callable[[dict[K, V]], None] | None = None,
    ) -> dict[K, V]:
        """One value per key of ``batches``; ``landed`` gets each batch's values as it ends."""
        parts: list[dict[K, V]] = [{} for _ in batches]

        def solve(batch: list[K]) -> dict[K, V]:
            return self.solve(batch, ask_for, failed)

        def finish(n: int, part: dict[K, V]) -> None:
            parts[n] = part
            if landed is not None:
                landed(part)

        if self.concurrency > 1 and len(batches) > 1:
            pool = ThreadPoolExecutor(
                min(self.concurrency, len(batches)), thread_name_prefix="llm-batch"
            )
            futures: dict[Future[dict[K, V]], int] = {
                pool.submit(solve, batch): n for n, batch in enumerate(batches)
            }
            try:
                for future in as_completed(futures):
                    finish(futures[future], future.result())
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        else:
            for n, batch in enumerate(batches):
                finish(n, solve(batch))
        return {key: value for part in parts for key, value in part.items()}

    def solve(
        self,
        batch: list[K],
        ask_for: Callable[[list[K]], Ask[dict[K, V]]],
        failed: Callable[[K, str], V],
    ) -> dict[K, V]:
        """Ask for ``batch``; on final failure split it in half, down to single keys."""
        ask: Ask[dict[K, V]] | None = None
        try:
            ask = ask_for(batch)
            return self.ask(ask, retry=self._policy(len(batch)))
        except Exception as exc:  # any backend or answer failure; never crash the run
            if len(batch) > 1:
                half = len(batch) // 2
                what = ask.what if ask is not None else f"LLM call for {len(batch)} keys"
                logger.info("%s failed (%s); asking each half alone", what, exc)
                return {
                    **self.solve(batch[:half], ask_for, failed),
                    **self.solve(batch[half:], ask_for, failed),
                }
            return {batch[0]: failed(batch[0], f"{type(exc).__name__}: {exc}"[:500])}

    def _policy(self, keys: int) -> RetryPolicy:
        # Deterministic answer errors from a multi-key batch are better fixed by splitting.
        if keys == 1:
            return self.retry
        return replace(self.retry, attempts=min(2, self.retry.attempts))

    # ------------------------------------------------------------------ one call
    def ask(self, ask: Ask[T], *, retry: RetryPolicy | None = None) -> T:
        """The parsed answer to ``ask``: from the cache, else from the model with retries."""
        key = cache_key(
            self.model_id, json.dumps([ask.prompt, ask.schema, ask.max_tokens], sort_keys=True)
        )
        if self.cache is not None:
            cached = self.cache.get_text(key)
            if cached is not None:
                try:
                    value = ask.parse(cached)
                except AnswerError as exc:
                    logger.info("Ignoring an unreadable cached answer (%s): %s", ask.what, exc)
                else:
                    self._record(ask, cached, None, cached=True)
                    return value
        schema = ask.schema if supports_schema(self.llm) else None

        def attempt() -> T:
            completion: Completion | None = None
            try:
                completion = self._call(ask.prompt, schema, ask.max_tokens)
                value = ask.parse(completion.text)
            except Exception as exc:
                text = completion.text if completion else None
                self._record(ask, text, completion, error=f"{type(exc).__name__}: {exc}")
                raise
            self._record(ask, completion.text, completion)
            if self.cache is not None:
                self.cache.put_text(key, self.model_id, completion.text)
            return value

        # A greedy, schema-constrained model gives the same answer again: no point retrying it.
        final = (AnswerError,) if supports_schema(self.llm) else ()
        policy = retry if retry is not None else self.retry
        return policy.run(attempt, give_up_on=final, what=ask.what)

    def _call(self, prompt: str, schema: dict[str, Any] | None, max_tokens: int) -> Completion:
        if self.timeout is None:
            return call(self.llm, prompt, schema=schema, max_tokens=max_tokens)
        # A daemon thread per call: a call abandoned at the timeout cannot keep the process
        # alive after fit returns (a pool's worker threads are joined at exit).
        box: dict[str, Any] = {}
        finished = threading.Event()

        def run() -> None:
            try:
                box["value"] = call(self.llm, prompt, schema=schema, max_tokens=max_tokens)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=run, name="llm-call", daemon=True).start()
        if not finished.wait(self.timeout):
            raise TimeoutError(
                f"no answer within timeout={self.timeout}s; raise llm_timeout (--llm-timeout) "
                "for a slow model"
            )
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _record(
        self,
        ask: Ask[Any],
        response: str | None,
        completion: Completion | None,
        *,
        cached: bool = False,
        error: str | None = None,
    ) -> None:
        record = {
            "time": time.time(),
            "model": self.model_id,
            **ask.tags,
            "cached": cached,
            "prompt": ask.prompt,
            "response": response,
            "prompt_tokens": completion.prompt_tokens if completion else None,
            "completion_tokens": completion.completion_tokens if completion else None,
            "seconds": round(completion.seconds, 4) if completion else 0.0,
            "error": error,
        }
        with self._log_lock:  # calls end on several threads at once
            self.call_log.append(record)
            if self.on_call is not None:
                self.on_call(record)
