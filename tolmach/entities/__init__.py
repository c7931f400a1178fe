"""Named entities in the original text: people, places, organisations, military units, ranks and posts.

>>> from tolmach.entities import find_entities
>>> [(e.kind, e.normal, e.english) for e in find_entities("Я служил в 85-й бригаде под Бахмутом.", "ru")]
[('unit', '85-я бригада', '85th Brigade'), ('place', 'Бахмут', 'Bakhmut')]
"""

from tolmach.entities.ner import annotate, find_entities
from tolmach.entities.places import english_place

__all__ = ["annotate", "english_place", "find_entities"]
