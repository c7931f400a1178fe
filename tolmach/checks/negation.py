"""Negation parity: a negated original must have a negation in the English, and the other way round.

A flipped negation is the worst error a translation of testimony can make ("We refuse to serve" for «Мы не
отказываемся служить») and the easiest to miss, because the English still reads well. So each side's
negations are found and compared: the original's «не», «ни», «нет», «никто», «нельзя», «ніхто», «немає»,
«жоден» …, the English "not", "n't", "no", "never", "nobody", "nothing", "without", "cannot" …, counted
once per clause («никто не пришёл» is one negation).

What it must never do: flag a faithful line. Real translators render many negations without a "not" and
add "not" where the original has none, so:
- an original's «не» or «ни» that is not a negated predicate is not required: «не только» ("as well as"),
  «не менее» ("at least"), «не более», «не выше», «чуть не» ("almost"), «тем не менее», «как ни странно»,
  «ничего себе», «не за что», «не раз» ("repeatedly"), «кто бы ни» ("whoever"), «или нет» ("or not"),
  «не исключено» ("may"), litotes («не дешево» "pricey"), «без сомнения» ("certainly"), «без труда»;
- an English word that says "not" in itself ("refuse", "fail", "lack", "unable", "impossible", "unless",
  "prevent", "hardly", "-less") answers an original's negation, but never one that negates such a word
  itself: «не отказываемся» is "do not refuse", and "refuse" is the flipped meaning. Some negations take
  more: «пока не» is "until", «а не» "rather than", «без» "free" or "lack", «не забудьте» "make sure",
  «не приближайтесь» "stay away". One such word answers one clause: three negated clauses of the
  original and one "avoid" in the English are flagged;
- an English negation is not required of the original in the phrases that say "at least", "whether or
  not", "no matter", "no doubt", "not only", "nothing but"; nor where the original says "not" with a word
  of its own («нелегко» "not easy", «отсутствие» "no", «запрещено» "not allowed", «вряд ли» "not
  likely"). Most words in «не-» and «без-» say "not"; the common ones that do not («несколько», «нефть»,
  «безопасность») are listed. An English word in "un-", "in-", "-less" renders such a word first
  («непроверенных» "unverified"), as "against", "difficult", "refuse" render «против», «трудно», «отказ»,
  so only the original's words left over excuse an English "not".
The English must have fewer negated clauses than the original by two or more to be flagged for a count
(«не пришёл и не позвонил» is often "didn't come or call").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tolmach.checks.base import Finding, Pair
from tolmach.text import normalise

_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*|\d+")
# What ends a clause, for counting negations once per clause.
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}«»\"“”„…]|\s[-–—]\s|[–—]")


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- the original --------------------------------------------------------------------------------------

_PARTICLES = _set("не ни ні")  # negate the next word
_NEGATIVE_WORDS = _set(
    "нет нету никогда никто никого никому никем ничто ничего ничему ничем нигде никуда ниоткуда никак "
    "никакой никакая никакое никакие никакого никакому никаким никаком никакую никаких никакими ничей "
    "ничья ничье ничьи нельзя "
    "нема немає ніколи ніхто нікого нікому ніким ніщо нічого нічому нічим ніде нікуди нізвідки ніяк "
    "ніякий ніяка ніяке ніякі ніякого ніякому ніяким ніякій ніяку ніяких ніякими нічий нічия нічиє нічиї "
    "жоден жодна жодне жодні жодного жодної жодному жодній жодним жодну жодною жодних жодними"
)
# After a negator: not a negated predicate, and nothing the English must say «не» for.
_IDIOM_AFTER = _set("исключено виключено за себе говоря кажучи смотря дивлячись зря даром")
# Before a negator: «чуть не» "almost", «тем не менее», «как ни странно», «или нет» "or not".
_IDIOM_BEFORE = _set("чуть едва ледве ледь мало тем тим ли как як")
# After a negator: a negation the English may well say with "not", but need not.
_LOOSE_AFTER = _set(
    "менее меньше менш менше более больше більше позднее позже раньше ранее пізніше раніше свыше выше "
    "ниже дальше далее дольше вище нижче довше далі старше младше молодше раз иначе без один одна одно "
    "только лише тільки лишь просто столько стільки "  # «не только» "as well as", "not only"
    "понаслышке случайно випадково "
    # litotes: «не дешево» is "pricey", «не далеко» "within easy reach", «не легко» "hard"
    "далеко дешево дорого легко сложно трудно мало плохо редко часто много долго близко складно важко "
    "погано рідко багато"
)
# «без» is "without", "no", "-less", "-free"; after it these are adverbs: «без сомнения» "certainly".
_WITHOUT = _set("без безо")
_WITHOUT_IDIOMS = _set(
    "сомнения сомнений сумніву сумнівів труда зусиль усилий исключения винятку конца кінця остановки "
    "перерыва перерви перерывов устали ума"
)
_PREDICATES = _set("нет нету нельзя нема немає")  # negative words that are predicates themselves
_UNTIL = _set("пока поки доки покуда")  # «пока не придёт» "until he comes"
_WHATEVER = _set("бы б би")  # «кто бы ни», «що б не»: whoever, whatever
_WH = re.compile(
    r"^(?:кто|кого|кому|кем|ком|что|чего|чему|чем|как|где|куда|когда|скольк|чей|чья|чье|чьи|хто|ким|що|"
    r"чого|чим|як|де|куди|коли|скільк|чий|чия|чиє|чиї)"
)
_IMPERATIVE = re.compile(r"(?:йте|ите|ьте|іть)(?:сь|ся)?$")  # «не забудьте», «не приближайтесь»
# «не» before these negates a word that says "not" itself: the English must say "not" too.
_NEGATIVE_MEANING = re.compile(
    r"^(?:отказ|відмов|запрещ|запрет|заборон|сомнев|сумнів|против|проти|отрица|запереч|прекрат|"
    r"припин|перестав|перестан|исключ|виключ|пропуст|меша|заваж|упуска|забыва|забува|лиша|лиши|"
    r"позбав|избега|уника|игнор|ігнор|отвер|отверг|отклон|відхил)"
)
# Words that say "not" in themselves; an English negation may render them.
_SOURCE_LEXICAL = re.compile(
    r"^(?:отсутств|відсутн|запрещ|запрет|заборон|отказ|відмов|вряд|навряд|вместо|замість|"
    r"прекрат|прекращ|припин|перестав|перестал|перестан|отрица|запереч|лишен|лишил|"
    r"позбав|избег|уника|уникн|игнор|ігнор|пропуст|пропущ|провал|нехват|нестач|сомнев|сумнів|трудн|"
    r"сложн|тяжел|важк|складн)"
    r"|^(?:без|безо|вне|поза|едва|ледве|еле|мало|ноль|нуль|против|проти|мимо|брак)$"
)
_NOT_PREFIX = re.compile(r"^(?:не|бе[зс])\w{3,}")
_NOT_PREFIX_EXCEPT = re.compile(
    r"^(?:нескольк|некотор|некогда|некий|некая|некое|необходим|необхідн|небольш|невелик|немног|недел|"
    r"неділ|недав|нещодав|немец|немецк|немц|нерв|нейр|нефт|небо|небес|немедлен|негайн|непосредствен|"
    r"несмотря|незважаючи|независим|незалежн|неоднократн|нест[иу]$|несе|несё|несу|несл|невест|нейтр|"
    r"неужели|небудь|безопас|безпек|безпеч|бесед|безусловн|безумовн|беспилот|безпілот|безработ|"
    r"безробіт|безліч|бесконечн)"
)


# -- the English ----------------------------------------------------------------------------------------

_EN_NEGATIONS = _set("not no never nobody nothing none nowhere neither nor without cannot nope noone")
_EN_CONTRACTED = _set("dont didnt doesnt cant wont isnt arent wasnt werent dunno nah")
# Words that say "not" in themselves: they answer an original's plain negation.
_EN_LEXICAL = re.compile(
    r"^(?:refus|fail|lack|unabl|impossibl|unless|prevent|avoid|hardly|barely|scarcely|rarely|seldom|"
    r"denie|deny|denial|reject|ignor|absen|miss|forbid|forbad|prohibit|ban$|bans$|banned|banning|except|"
    r"exclud|instead|lest$|neglect|refrain|stop|ceas|quit$|quits|quitting|declin|dismiss|unknown|unclear|unlikel|unawar|"
    r"unaccept|unwill|unsure|unprecedent|illegal|inabilit|incapab|insuffic|inadequ|incomplet|incorrect|"
    r"invalid|invisib|inaccess|independ|irrelev|disagre|dislik|disapprov|dishonest|dissatisf|nonexist|"
    r"zero|doubt|fewer|shortage|non$|lose|lost|losing|gone)"
    r"|\w{3,}(?:less|free)$"
)
# English words that say "not" with an affix, as the original's «не-» words do («неверный» "incorrect»):
# each one renders such a word of the original, which then cannot excuse an English "not" as well.
_EN_AFFIXED = re.compile(
    r"^(?:un(?!der|i|til|cle|less|fortunate)\w{3,}|non(?!e)\w*|mis(?:lead|led|inform|understand|take|took|use|conduct|"
    r"trust|handl|judg|manag|interpret|calculat|represent|plac)\w*|dis(?:agree|like|advantag|honest|"
    r"satisf|approv|trust|belie|regard|content|abl|order|respect|comfort|loyal|obey|qualif|"
    r"connect|continu|integrat|arm)\w*|(?:in|im|ir|il)(?:possib|legal|relev|regular|respons|rational|"
    r"mortal|mature|patien|perfect|proper|balanc|accessib|accura|adequa|appropria|capab|complet|"
    r"conclusiv|consisten|correct|credib|curab|decisi|definit|direct|effectiv|efficien|evitab|"
    r"experienc|formal|human|justic|nocen|sane|secur|sensitiv|significan|stab|sufficien|tolera|valid|"
    r"visib|dependen|competen|activ|abilit|action|expensiv)\w*|\w{3,}less(?:ly|ness)?|\w+free)$"
)
# English words that render an original's word that says "not" in itself, as the original words it: "against"
# for «против», "difficult" for «трудно». Like the affixed words, each one uses up such a word of the
# original, which then cannot excuse an English "not" as well.
_EN_RENDERS = re.compile(r"^(?:against|outside|beyond|difficult\w*|hard|harder|hardest|tough\w*)$")
# What some negations of the original may be in English besides the words above.
_EN_ANSWERS = {
    "until": re.compile(r"^(?:until|till|before)$"),
    "contrast": re.compile(r"^(?:than|rather|instead|unlike|but|whereas|opposed)$"),
    "imperative": re.compile(r"^(?:sure|careful|beware|away|remember|resist|keep|stay|refrain)"),
    "without": re.compile(r"^(?:lack|absen|free|minus|except|apart|besides|beyond|instead)"),
}
# English negations that are phrases of their own, not a negated predicate.
_EN_PHRASES = re.compile(
    r"(?:\bnot|n't) (?:only|just|merely|simply)\b(?=.*\b(?:but|also|as well)\b)"
    r"|\b(?:whether or not|or not(?=\s*(?:[.,;:!?)\"]|$))|not un\w+|no matter|"
    r"no doubt|no wonder|not to mention|nothing but|none other|no (?:more|less|later|earlier|fewer) than|"
    r"not (?:more|less|later|earlier|fewer) than|no sooner|never mind|no\.|no (?=\d))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Negation:
    quote: str  # as written: the negator and the word after it
    clause: int  # which clause of its text
    # plain, double («не отказываемся»: only a "not" answers it), until, contrast, imperative, without
    kind: str


def _clauses(text: str) -> list[list[str]]:
    return [_WORD.findall(part) for part in _CLAUSE.split(text)]


def _says_not(word: str) -> bool:
    """Whether a word of the original says "not" in itself: «невозможно», «бесследно», «отсутствие»."""
    if _SOURCE_LEXICAL.match(word):
        return True
    return bool(_NOT_PREFIX.match(word)) and not _NOT_PREFIX_EXCEPT.match(word)


def _kind(norms: list[str], i: int) -> str | None:
    """What the negator at norms[i] is: a kind of _Negation, "loose" or None (not a negation at all)."""
    w = norms[i]
    before = norms[i - 1] if i else ""
    after = norms[i + 1] if i + 1 < len(norms) else ""
    then = norms[i + 2] if i + 2 < len(norms) else ""
    if w in _PARTICLES:
        window = norms[max(0, i - 5) : i]
        if after in _IDIOM_AFTER or (after, then) == ("так", "давно") or (w, after) == ("не", "за"):
            return None
        if before == "тем" or (before in _IDIOM_BEFORE and before != "а"):
            return None
        if _WHATEVER.intersection(window) and any(_WH.match(x) for x in window):
            return None
        if after in _LOOSE_AFTER or before in ("или", "либо", "чи"):  # «делать или не делать»
            return "loose"
        if _UNTIL.intersection(norms[max(0, i - 3) : i]):
            return "until"
        if before == "а":
            return "contrast"
        if _NEGATIVE_MEANING.match(after):
            return "double"
        if w == "не" and _IMPERATIVE.search(after):
            return "imperative"
        return "plain"
    if w in _WITHOUT:
        return "loose" if after in _WITHOUT_IDIOMS else "without"
    if w in _NEGATIVE_WORDS:
        if (w, after) == ("ничего", "себе"):
            return None
        if w not in _PREDICATES and "не" in norms[i + 1 :]:
            return None  # «никто не пришёл»: one negation, quoted at its «не»
        if before in ("или", "либо", "чи"):  # «готов я или нет» "whether I'm ready or not"
            return "loose"
        return "plain"
    return None


def _source_negations(text: str) -> tuple[list[_Negation], int]:
    """The original's negated predicates, and how many times it says "not" some other way."""
    found: list[_Negation] = []
    lexical = 0
    for c, words in enumerate(_clauses(text)):
        norms = [normalise(w) for w in words]
        for i, w in enumerate(norms):
            kind = _kind(norms, i)
            if kind is None:
                lexical += _says_not(w)
                continue
            if kind == "loose":
                lexical += 1
                continue
            after = norms[i + 1] if i + 1 < len(norms) else ""
            negator_after = after in _NEGATIVE_WORDS or after in _PARTICLES
            quote = " ".join(words[i : i + 2]) if after and not negator_after else words[i]
            found.append(_Negation(quote, c, kind))
    return found, lexical


def _english_negations(text: str) -> tuple[list[tuple[str, int]], list[str]]:
    """The English's negations (the word as written, its clause), and its other words, normalised."""
    text = _EN_PHRASES.sub(" ", text)
    found: list[tuple[str, int]] = []
    others: list[str] = []
    for c, words in enumerate(_clauses(text)):
        for w in words:
            n = normalise(w)
            if n in _EN_NEGATIONS or n.endswith("n't") or n in _EN_CONTRACTED:
                found.append((w, c))
            else:
                others.append(n)
    return found, others


def _answers(negation: _Negation, words: list[str], spare_affixed: bool) -> int:
    """How many of an English's ``words`` may render ``negation`` without a "not": "refuse", "until".

    An English word in "un-", "in-", "-less" renders the original's «не-» words first («непроверенных»
    "unverified"), so it answers a negation only when the English has more of them than the original.
    """
    if negation.kind == "double":
        return 0
    answers = _EN_ANSWERS.get(negation.kind)
    return sum(
        bool(_EN_LEXICAL.match(w) or (answers is not None and answers.match(w)))
        or (spare_affixed and bool(_EN_AFFIXED.match(w)))
        for w in words
    )


def check(pair: Pair) -> list[Finding]:
    """A negated original whose English does not negate, and an English negation the original lacks."""
    source, source_lexical = _source_negations(pair.source)
    english, others = _english_negations(pair.english)
    affixed = sum(bool(_EN_AFFIXED.match(w)) for w in others)
    rendered = affixed + sum(bool(_EN_LEXICAL.match(w) or _EN_RENDERS.match(w)) for w in others)
    answered = max((_answers(n, others, affixed > source_lexical) for n in source), default=0)
    clauses, english_clauses = len({n.clause for n in source}), len({c for _, c in english})
    # Three negated clauses of the original and one "avoid" in the English: the others are lost.
    if source and not english and clauses < answered + 2 and answered:
        return []
    if source and not english:
        quotes = " and ".join(f"«{q}»" for q in dict.fromkeys(n.quote for n in source[:3]))
        return [Finding("negation", f"negation: the original says {quotes}, the English has none")]
    if english and not source and source_lexical <= rendered:
        words = " and ".join(f'"{w}"' for w in dict.fromkeys(w for w, _ in english[:3]))
        return [Finding("negation", f"negation: the English says {words}, the original has none")]
    if clauses >= english_clauses + answered + 2:
        return [
            Finding(
                "negation", f"negation: the original negates {clauses} clauses, the English {english_clauses}"
            )
        ]
    return []
