"""The SQL groupbot writes once, in SQLite's dialect, turned into PostgreSQL's.

Statements and migrations are written for SQLite and kept to what both engines share (ON CONFLICT,
RETURNING, partial indexes, NULLS LAST...). What remains differs in a handful of spellings, rewritten
here mechanically so that no statement is written twice:

- placeholders: ``?`` and ``:name`` become psycopg's ``%s`` and ``%(name)s`` (every other ``%`` doubled: the
  statements always go with parameters, even none, so psycopg reads them all);
- SQLite's two-argument ``max(a, b)`` and ``min(a, b)`` become ``greatest`` and ``least``, and
  ``CAST(x AS INTEGER)``, which truncates in SQLite, truncates in PostgreSQL too (it would round);
- ``json_extract(x, '$.key')`` becomes ``(x::jsonb ->> 'key')``, and ``json_remove(x, '$.key')``
  ``(x::jsonb - 'key')::text``;
- in migrations, column types (``REAL`` is single precision in PostgreSQL, so ``DOUBLE PRECISION``),
  ``INTEGER PRIMARY KEY`` (an identity column), ``COLLATE NOCASE`` (emails are stored lowercased),
  and triggers, whose body becomes a PL/pgSQL function.

Anything else either works on both engines or is a bug that the tests on both engines catch.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Tokens the placeholder pass must see whole: string literals, quoted names, casts, placeholders, percent signs.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|:([A-Za-z_]\w*)|\?|%")
_SCALAR_EXTREMES = re.compile(r"\b(max|min)\s*\(", re.IGNORECASE)
_JSON_EXTRACT = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.IGNORECASE)
_JSON_REMOVE = re.compile(r"json_remove\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def postgres_statement(sql: str) -> str:
    """One statement as PostgreSQL (through psycopg) reads it."""
    return _placeholders(_json_extract(_truncating_casts(_scalar_extremes(sql))))


def postgres_migration(statement: str) -> list[str]:
    """One migration statement as the PostgreSQL statements that do the same."""
    trigger = _TRIGGER.match(statement)
    if trigger:
        return _trigger(trigger)
    ddl = statement
    for pattern, replacement in _DDL_TYPES:
        ddl = pattern.sub(replacement, ddl)
    return [_json_extract(_scalar_extremes(ddl))]


def _placeholders(sql: str) -> str:
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if match.group(1):
            return f"%({match.group(1)})s"
        # psycopg reads its placeholders everywhere, string literals too: a literal's % is doubled as well.
        return token.replace("%", "%%")

    return _TOKENS.sub(replace, sql)


def _json_extract(sql: str) -> str:
    return _JSON_REMOVE.sub(r"(\1::jsonb - '\2')::text", _JSON_EXTRACT.sub(r"(\1::jsonb ->> '\2')", sql))


def _scalar_extremes(sql: str) -> str:
    """``max(a, b)`` -> ``greatest(a, b)``; the aggregate ``max(x)`` (one argument) stays."""
    out, at = [], 0
    for match in _SCALAR_EXTREMES.finditer(sql):
        if match.start() < at:
            continue
        call = _arguments(sql, match.end())
        if call is None or not call[1]:
            continue
        name = "greatest" if match.group(1).lower() == "max" else "least"
        out.append(sql[at:match.start()])
        out.append(f"{name}(")
        at = match.end()
    out.append(sql[at:])
    result = "".join(out)
    # Arguments may themselves hold scalar extremes (max(a, min(b, c))): rewrite until nothing changes.
    return result if result == sql else _scalar_extremes(result)


_CAST = re.compile(r"\bCAST\s*\(", re.IGNORECASE)
_AS_INTEGER = re.compile(r"\s+AS\s+INTEGER\s*$", re.IGNORECASE)


def _truncating_casts(sql: str) -> str:
    """``CAST(x AS INTEGER)`` truncates in SQLite and rounds in PostgreSQL: truncate in both."""
    out, at = [], 0
    for match in _CAST.finditer(sql):
        if match.start() < at:
            continue
        call = _arguments(sql, match.end())
        inside = sql[match.end():call[0]] if call else ""
        as_integer = _AS_INTEGER.search(inside)
        if not call or not as_integer:
            continue
        close = call[0]
        out.append(sql[at:match.start()])
        out.append(f"CAST(trunc({inside[:as_integer.start()]}) AS BIGINT)")
        at = close + 1
    out.append(sql[at:])
    return "".join(out)


def _arguments(sql: str, start: int) -> tuple[int, bool] | None:
    """For the call whose "(" ends just before ``start``: where its ")" is, and whether a comma separates
    arguments (one outside nested brackets and quotes); None when it is never closed."""
    depth, quote, comma = 1, None, False
    for i in range(start, len(sql)):
        char = sql[i]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i, comma
        elif char == "," and depth == 1:
            comma = True
    return None


_DDL_TYPES = [
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
    (re.compile(r"\s+COLLATE\s+NOCASE\b", re.IGNORECASE), ""),
]

_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(?P<name>\w+)\s+(?P<timing>BEFORE|AFTER)\s+(?P<event>.+?)\s+ON\s+(?P<table>\w+)"
    r"(?:\s+WHEN\s+(?P<when>.+?))?\s+BEGIN\b(?P<body>.*)\bEND\s*$",
    re.IGNORECASE | re.DOTALL)


def _trigger(match: re.Match) -> list[str]:
    """A SQLite trigger as a PL/pgSQL function and the row trigger that calls it (SQLite's are per row)."""
    name, body = match["name"], match["body"].strip()
    statements = [part.strip() for part in body.split(";") if part.strip()]
    code = "\n".join(f"    {_json_extract(_scalar_extremes(s))};" for s in statements)
    when = f" WHEN ({match['when'].strip()})" if match["when"] else ""
    return [
        (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
         f"BEGIN\n{code}\n    RETURN NULL;\nEND\n$body$"),
        (f"CREATE TRIGGER {name} {match['timing']} {match['event'].strip()} ON {match['table']}"
         f" FOR EACH ROW{when} EXECUTE FUNCTION {name}()"),
    ]
