"""Engine ``llm``: any OpenAI-compatible chat-completions server (Ollama, llama.cpp, vLLM, LM Studio, ...).

A language model translates better than Whisper's speech translation when it sees the clip as a whole,
but it answers in free text and may merge two lines, drop one, leave a word in Cyrillic or stop halfway.
So the transcript goes in numbered batches (with the lines before each batch as context, a short summary
of the clip, and the glossary's renderings in the instructions), and every answer must be JSON holding
exactly one entry per input id. An answer is checked before any of it is used:

1. broken JSON, a missing, extra or repeated id, an empty line or Cyrillic left in a line refuses the
   whole answer, which is asked again once with the error stated;
2. still refused: the batch is split in two and each half goes through the same steps;
3. a single line refused twice keeps its fallback (Whisper's line for speech, the original for text),
   and the segment says so in ``translated_by``.

Lines are matched to answers by id, never by position, so nothing can move from one line to another.
Timeouts, 429 (Retry-After respected) and 5xx are retried with exponential backoff, and reported; a
refused key or unknown model (4xx) stops the run with its message. A deadline for the whole run (by
default twice the request timeout per batch, plus one) is checked before every request and every wait:
when it passes, the lines left keep their fallbacks, so a run never hangs.

Only ``httpx`` is needed (extra ``llm``). The API key comes from the environment variable named by the
``llm_key_env`` setting, never from a file, and is sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tolmach.engines.base import Context, Engine, EngineError, Outcome, Progress, is_local_url
from tolmach.errors import MissingExtraError
from tolmach.text import plural

if TYPE_CHECKING:
    import httpx

    from tolmach.options import Options

CYRILLIC = re.compile(r"[\u0400-\u04ff\u0500-\u052f]+")
FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")
LANGUAGE_NAMES = {"ru": "Russian", "uk": "Ukrainian", "be": "Belarusian", "en": "English"}
BATCH = 20  # lines per request: long enough for context, short enough that a refusal costs little
CONTEXT_LINES = 5  # lines before a batch shown with their accepted English
ATTEMPTS = 4  # tries per request when the server times out, is rate-limited or fails
MAX_WAIT = 30.0  # seconds: the longest backoff or Retry-After honoured
SUMMARY_CHARS = 6000  # of the source text given to the summary request


class AnswerError(ValueError):
    """The model's answer cannot be used; the message is what the model is told on the retry."""


class _Unavailable(Exception):
    """The server did not answer usefully after every retry (or the deadline passed)."""


def parse_answer(content: str, ids: Sequence[int]) -> dict[int, str]:
    """The English for each of ``ids`` from a model's answer, or AnswerError saying what is wrong.

    The answer is ``{"translations": [{"id": N, "en": "..."}, ...]}`` (a bare list is accepted too);
    every id must occur exactly once, every line must be non-empty and hold no Cyrillic letters.
    """
    text = FENCE.sub("", content.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the answer is not valid JSON ({exc.msg} at character {exc.pos})") from None
    items = data.get("translations") if isinstance(data, dict) else data
    if isinstance(data, dict) and items is None and len(data) == 1:
        items = next(iter(data.values()))
    if not isinstance(items, list):
        raise AnswerError('the answer must be {"translations": [{"id": ..., "en": ...}, ...]}')
    found: dict[int, str] = {}
    repeated: list[int] = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            raise AnswerError('every entry must be an object {"id": N, "en": "..."}')
        try:
            number = int(item["id"])
        except (TypeError, ValueError):
            raise AnswerError(f"id {item['id']!r} is not a number") from None
        english = item.get("en", item.get("text", item.get("translation")))
        if not isinstance(english, str):
            raise AnswerError(f'entry {number} has no "en" text')
        if number in found:
            repeated.append(number)
        found[number] = english.strip()
    wanted = set(ids)
    missing = sorted(wanted - set(found))
    extra = sorted(set(found) - wanted)
    if missing or extra or repeated:
        problems = [
            f"{label} {', '.join(map(str, values))}"
            for label, values in (
                ("missing ids", missing),
                ("unknown ids", extra),
                ("repeated ids", repeated),
            )
            if values
        ]
        raise AnswerError(
            f"expected {len(ids)} entries with ids {_span(ids)}, one per input line; "
            f"got {len(items)} ({'; '.join(problems)}). Translate each line on its own, never merge or split"
        )
    for number in ids:
        if not found[number]:
            raise AnswerError(f"line {number} is empty")
        if left := CYRILLIC.findall(found[number]):
            raise AnswerError(
                f"line {number} still has Cyrillic text ({' '.join(left[:3])}): translate or transliterate it"
            )
    return {number: found[number] for number in ids}


def _span(ids: Sequence[int]) -> str:
    ordered = sorted(ids)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]} to {ordered[-1]}"
    return ", ".join(map(str, ordered))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class _Run:
    """The state of one ``run``: the deadline, what was retried, what was said."""

    deadline: float
    events: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    answered: bool = False  # the server has answered once: a later connection error is retried


class LlmEngine(Engine):
    """An OpenAI-compatible ``/chat/completions`` server, local unless its URL says otherwise."""

    name = "llm"

    def __init__(
        self,
        options: Options,
        *,
        batch_size: int = BATCH,
        attempts: int = ATTEMPTS,
        backoff: float = 1.0,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = options.llm_url.rstrip("/")
        self.model = options.llm_model
        self.key_env = options.llm_key_env
        self.timeout = options.llm_timeout
        self.remote = not is_local_url(self.url)
        self.batch_size = max(1, batch_size)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.deadline = deadline  # seconds for a whole run; None: 2 x timeout per batch + 1
        self.sleep = sleep
        self.json_mode = True  # response_format json_object, dropped if the server refuses it

    @property
    def label(self) -> str:
        return f"llm:{self.model}"

    def describe(self) -> str:
        where = "remote: the text leaves this machine" if self.remote else "local"
        return f"{self.url}, model {self.model or '(none set)'} ({where})"

    # -------------------------------------------------------------------------------------- probing

    def check(self) -> tuple[bool, str]:
        """GET {url}/models with a short timeout: reachable, and is the model there?"""
        httpx = _httpx()
        try:
            reply = httpx.get(f"{self.url}/models", headers=self._headers(), timeout=3.0)
        except httpx.HTTPError as exc:
            return False, f"not reachable ({type(exc).__name__})"
        if reply.status_code != 200:
            return False, f"{self.url}/models answered HTTP {reply.status_code}"
        try:
            names = [str(m.get("id")) for m in reply.json().get("data", [])]
        except (ValueError, AttributeError):
            names = []
        if not self.model:
            return False, f"reachable; no model set (--llm-model), it has: {', '.join(names[:8]) or '?'}"
        if names and self.model not in names:
            return False, f"reachable, but has no model {self.model} (it has: {', '.join(names[:8])})"
        return True, "reachable"

    # ---------------------------------------------------------------------------------- translating

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        return list(self.run(lines, context).lines)

    def run(self, lines: Sequence[str], context: Context, progress: Progress | None = None) -> Outcome:
        lines = list(lines)
        if not lines:
            return Outcome((), ())
        httpx = _httpx()
        batches = (len(lines) + self.batch_size - 1) // self.batch_size
        budget = self.deadline if self.deadline is not None else self.timeout * (2 * batches + 1)
        state = _Run(deadline=time.monotonic() + budget)
        english: dict[int, str] = {}
        failed: dict[int, str] = {}
        with httpx.Client(headers=self._headers()) as client:
            summary = context.summary
            if not summary and batches > 1:
                summary = self._summary(client, lines, context, state)
            for start in range(0, len(lines), self.batch_size):
                ids = list(range(start + 1, min(start + self.batch_size, len(lines)) + 1))
                before = [
                    (lines[i - 1], english.get(i, ""))
                    for i in range(max(1, start + 1 - CONTEXT_LINES), start + 1)
                ]
                if not before and context.previous:
                    before = [(p, "") for p in context.previous[-CONTEXT_LINES:]]
                self._solve(client, ids, lines, context, summary, before, state, english, failed)
                if progress is not None:
                    progress(ids[-1])
        fallback = context.fallback if len(context.fallback) == len(lines) else tuple(lines)
        out = tuple(english.get(i, fallback[i - 1]) for i in range(1, len(lines) + 1))
        reasons = tuple(failed.get(i, "") for i in range(1, len(lines) + 1))
        return Outcome(out, reasons, self._report(state, len(failed)))

    def _solve(
        self,
        client: httpx.Client,
        ids: list[int],
        lines: list[str],
        context: Context,
        summary: str,
        before: list[tuple[str, str]],
        state: _Run,
        english: dict[int, str],
        failed: dict[int, str],
    ) -> None:
        """Translate ``ids``: ask (and ask again with the error), then halves, then fall back."""
        blank = [i for i in ids if not lines[i - 1].strip()]
        for i in blank:  # nothing to translate, nothing to ask
            english[i] = ""
        ids = [i for i in ids if i not in blank]
        if not ids:
            return
        try:
            answer = self._ask(client, ids, lines, context, summary, before, state)
        except _Unavailable as exc:
            for i in ids:
                failed[i] = str(exc)
            return
        if answer is not None:
            english.update(answer)
            return
        if len(ids) == 1:
            failed[ids[0]] = "llm answer invalid"
            return
        half = len(ids) // 2
        self._solve(client, ids[:half], lines, context, summary, before, state, english, failed)
        after = before + [(lines[i - 1], english.get(i, "")) for i in ids[:half]]
        self._solve(
            client, ids[half:], lines, context, summary, after[-CONTEXT_LINES:], state, english, failed
        )

    def _ask(
        self,
        client: httpx.Client,
        ids: list[int],
        lines: list[str],
        context: Context,
        summary: str,
        before: list[tuple[str, str]],
        state: _Run,
    ) -> dict[int, str] | None:
        """The checked answer for ``ids``, asking twice at most; None when both answers were refused."""
        request = {
            "summary": summary,
            "context_before": [{"text": s, "en": e} for s, e in before],
            "lines": [{"id": i, "text": lines[i - 1]} for i in ids],
        }
        messages: list[dict[str, str]] = [
            {"role": "system", "content": instructions(context, len(ids))},
            {"role": "user", "content": json.dumps(request, ensure_ascii=False)},
        ]
        for attempt in range(2):
            content = self._complete(client, messages, state)
            try:
                return parse_answer(content, ids)
            except AnswerError as exc:
                state.events["answer refused"] += 1
                if len(state.problems) < 5:
                    state.problems.append(f"lines {_span(ids)}: {exc}")
                if attempt == 0:
                    messages += [
                        {"role": "assistant", "content": content},
                        {
                            "role": "user",
                            "content": f"Your answer was refused: {exc}. Answer again with JSON only: "
                            f'{{"translations": [...]}} holding exactly one entry for each of the ids '
                            f"{_span(ids)}.",
                        },
                    ]
        return None

    def _summary(self, client: httpx.Client, lines: list[str], context: Context, state: _Run) -> str:
        """One or two sentences about the whole text, for batches that cannot see all of it."""
        language = LANGUAGE_NAMES.get(context.source_lang, context.source_lang)
        messages = [
            {
                "role": "system",
                "content": f"Summarise in at most two sentences, in English, what this {language} "
                f"{'transcript' if context.kind == 'speech' else 'text'} is about: the topic, who speaks, "
                "the places and people named. Answer with the summary only, plain text.",
            },
            {"role": "user", "content": "\n".join(lines)[:SUMMARY_CHARS]},
        ]
        try:
            text = self._complete(client, messages, state, json_mode=False)
        except _Unavailable as exc:
            state.problems.append(f"no summary: {exc}")
            return ""
        return " ".join(text.split())[:400]

    # --------------------------------------------------------------------------------------- HTTP

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": "tolmach"}
        key = os.environ.get(self.key_env, "").strip()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _complete(
        self, client: httpx.Client, messages: list[dict[str, str]], state: _Run, json_mode: bool = True
    ) -> str:
        """The assistant's text for ``messages``, retrying timeouts, 429 and 5xx with backoff."""
        httpx = _httpx()
        last = "no answer"
        for attempt in range(self.attempts):
            left = state.deadline - time.monotonic()
            if left <= 0.05:
                raise _Unavailable("llm deadline passed")
            payload: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
            if json_mode and self.json_mode:
                payload["response_format"] = {"type": "json_object"}
            wait: float | None = None
            try:
                reply = client.post(
                    f"{self.url}/chat/completions", json=payload, timeout=min(self.timeout, left)
                )
            except httpx.TimeoutException:
                state.events["timed out"] += 1
                last = f"timed out after {min(self.timeout, left):.0f} s"
            except httpx.TransportError as exc:
                if not state.answered:
                    raise EngineError(
                        f"llm server {self.url} is not reachable ({type(exc).__name__})",
                        "start it (e.g. 'ollama serve'), or check --llm-url; 'tolmach engines' probes it",
                    ) from None
                state.events["connection failed"] += 1
                last = f"connection failed ({type(exc).__name__})"
            else:
                status = reply.status_code
                if status == 200:
                    state.answered = True
                    return _content(reply)
                if status == 429:
                    state.events["rate-limited (429)"] += 1
                    wait = retry_after(reply.headers.get("Retry-After"))
                    last = "rate-limited (429)"
                elif status >= 500:
                    state.events[f"server error ({status})"] += 1
                    last = f"server error ({status})"
                elif status == 400 and "response_format" in payload and attempt == 0:
                    self.json_mode = (
                        False  # an older server that knows no JSON mode: the prompt asks for JSON
                    )
                    continue
                else:
                    raise EngineError(
                        f"llm server {self.url} refused the request: HTTP {status} {_error_text(reply)}",
                        f"check --llm-model and the key in ${self.key_env}",
                    )
            if attempt + 1 < self.attempts:
                pause = min(MAX_WAIT, wait if wait is not None else self.backoff * 2**attempt)
                if time.monotonic() + pause >= state.deadline:
                    raise _Unavailable(f"llm {last}; deadline passed")
                self.sleep(pause)
        raise _Unavailable(f"llm {last}")

    def _report(self, state: _Run, fell_back: int) -> tuple[str, ...]:
        events = []
        retried = {k: v for k, v in state.events.items() if k != "answer refused"}
        if retried:
            events.append("llm: retried " + ", ".join(f"{v} x {k}" for k, v in sorted(retried.items())))
        if state.events["answer refused"]:
            refused = plural(state.events["answer refused"], "answer")
            events.append(f"llm: {refused} refused ({state.problems[0]})")
        if fell_back:
            events.append(
                f"llm: {plural(fell_back, 'line')} kept {'its' if fell_back == 1 else 'their'} fallback"
            )
        return tuple(events)


def instructions(context: Context, count: int) -> str:
    """The system message: the task, the alignment rules, the glossary, the answer format."""
    language = LANGUAGE_NAMES.get(context.source_lang, context.source_lang)
    what = (
        "lines of a transcript of speech (subtitles: each line is shown while it is spoken)"
        if context.kind == "speech"
        else "paragraphs of a text (a post, caption or article)"
    )
    rules = [
        f"You translate {what} from {language} into English.",
        f"You get {count} numbered lines in 'lines'. Translate each line on its own: the entry with an id "
        "translates the line with that id and nothing else. Never merge, split, reorder or skip lines, "
        "and never move words from one line to another, even when a sentence runs over two lines: "
        "translate each part where it stands.",
        "'context_before' and 'summary' are there to help you understand; do not translate them.",
        "Keep every number, date and name; write names in Latin letters. No Cyrillic letters in the answer.",
        "Add no notes, explanations or brackets of your own.",
    ]
    if context.glossary:
        terms = "; ".join(
            f"«{t.source}» -> {t.english.replace('|', ' / ')}" + (f" ({t.note})" if t.note else "")
            for t in context.glossary
        )
        rules.append(
            "Render these terms the way the field does (singular / plural), without explaining them: " + terms
        )
    rules.append(
        'Answer with JSON only, exactly: {"translations": [{"id": <id>, "en": "<English>"}, ...]} '
        "with one entry for every id in 'lines'."
    )
    return "\n".join(rules)


def _content(reply: httpx.Response) -> str:
    try:
        data = reply.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return reply.text  # parse_answer will say what is wrong with it
    return content if isinstance(content, str) else json.dumps(content)


def _error_text(reply: httpx.Response) -> str:
    try:
        data = reply.json()
        message = data.get("error", data)
        message = message.get("message", message) if isinstance(message, dict) else message
    except (ValueError, AttributeError):
        message = reply.text
    return " ".join(str(message).split())[:200]


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:  # pragma: no cover - the test extra installs it
        raise MissingExtraError("engine llm", "llm") from None
    return httpx
