"""The words of all company and founder names, for spelling correction in name search.

pg_trgm's manual advises it for typo-tolerant search over large text ("create a table of the
unique words ... then use similarity against it"): a misspelt word is corrected against some
tens of thousands of words instead of matched against a million names, and the corrected words
are then found with the ordinary substring index. Triggers on the two name columns keep the
table current; words of renamed or deleted records stay (they only cost a row each, and a stale
word can suggest nothing that the visible rows do not hold).
"""

import pgtrigger
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.db import models
from django.db.models.functions import Lower

MIN_WORD = 3  # shorter words have too few trigrams to be corrected or indexed usefully
# Bytes of a GiST trigram signature. The default (12) saturates at once on names of ~20
# trigrams, so no subtree can be skipped; at 256 a rare word's match reads ~500 index pages
# instead of all 12,000 (1M companies, bench/), and the index is no bigger (92 MB: leaves keep
# the trigram arrays, only the inner pages hold signatures).
RANK_SIGNATURE = 256


def rank_index(name: str) -> GistIndex:
    """The GiST trigram index that hands out the names closest to a text first (ORDER BY
    ``<<->``, KNN) for ``crm.queries.closest``. It indexes ``Lower("search_name")`` (which is
    ``search_name``, already lower case) so that only queries that name this expression use it:
    for a rare word it is slower than the GIN index of ``search_name``, which the planner might
    otherwise prefer."""
    return GistIndex(
        OpClass(Lower("search_name"), name=f"gist_trgm_ops(siglen={RANK_SIGNATURE})"), name=name
    )


def add_words_sql(name: str, table: str = "") -> str:
    """SQL that adds the words of the folded name ``name`` (a ``search_name`` column or value,
    from ``table`` if given): split at white space, at least MIN_WORD letters long."""
    rows = f"{table}, " if table else ""
    split = rf"regexp_split_to_table({name}, '\s+')"
    return (
        f"INSERT INTO crm_searchword (word) SELECT DISTINCT w FROM {rows}{split} AS w "  # noqa: S608 (names from code)
        f"WHERE length(w) >= {MIN_WORD} ON CONFLICT DO NOTHING"
    )


def collect_words_trigger() -> pgtrigger.Trigger:
    """The trigger that adds a new or renamed record's words (models with ``search_name``)."""
    return pgtrigger.Trigger(
        name="collect_search_words",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf("name"),
        func=f"{add_words_sql('NEW.search_name')}; RETURN NULL;",
    )


class SearchWord(models.Model):
    # C collation: the primary key's index then also answers "word LIKE 'prefix%'".
    word = models.TextField(primary_key=True, db_collation="C")

    class Meta:
        indexes = [GinIndex(OpClass("word", name="gin_trgm_ops"), name="search_word_trgm")]

    def __str__(self) -> str:
        return self.word
