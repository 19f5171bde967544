"""What a question asks for (an amount, a total, a ceiling, a count), from vocabulary.yaml.

Kept apart from the router so slot extraction can record a turn's intents: a later turn that only
answers "Quel âge avez-vous ?" then still gets the figure that was asked for.
"""

from __future__ import annotations

from assistant.calculator.vocabulary import load_vocabulary
from assistant.text import fold

# Intents that ask for a count; "combien" then means "how many", not "how much money".
COUNT_INTENTS = ("paid_leave", "duration", "notice", "suspension")
THRESHOLD_INTENTS = ("family_allowance", "dependent", "tax", "threshold")
_HELPERS = ("how_much", "count_words", "how_to", "domain")


def detect_intents(text: str) -> list[str]:
    """Intent names found in the text, in vocabulary order; 'combien' alone asks for money."""
    folded = fold(text)
    vocab = load_vocabulary().intents
    hits = {name for name, patterns in vocab.items() if any(p.search(folded) for p in patterns)}
    asks_count = "count_words" in hits or any(i in hits for i in COUNT_INTENTS)
    if "how_much" in hits and not asks_count:
        hits.add("amount")
    if asks_count and "amount" not in hits:
        # "cb de fois par an ?", "combien de jours au total ?": the period or the total is the
        # count's, not a sum of money's.
        hits -= {"yearly", "total"}
    return [name for name in vocab if name in hits and name not in _HELPERS]


def in_domain(text: str) -> bool:
    """Does the text use a word of internships and training (vocabulary.yaml, `domain`)?"""
    folded = fold(text)
    return any(p.search(folded) for p in load_vocabulary().intents["domain"])
