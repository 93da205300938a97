"""A pybtex style for the book's bibliography: entries labelled and sorted by author and
year ("Zhang et al. 2025"), matching the author-year citations in the text
(``bibtex_reference_style: author_year``); pybtex's own styles label alphabetically
("[ZWL+25]"). Registered as the formatting style ``author_year`` when Sphinx loads this
extension (``_config.yml``: ``local_extensions`` and ``bibtex_default_style``)."""

from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _authors(entry) -> str:
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(p.last_names) for p in persons]
    if not names:
        return str(entry.fields.get("organization") or entry.fields.get("title", entry.key))
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


class AuthorYearLabelStyle(BaseLabelStyle):
    """``Author Year``, ``Author and Other Year`` or ``Author et al. Year``; a letter after
    the year tells apart equal labels."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [f"{_authors(e)} {e.fields.get('year', 'n.d.')}" for e in entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
