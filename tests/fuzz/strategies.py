"""Hostile values for forms and posts: ordinary, empty, huge, NUL bytes and odd unicode, numbers as
text, impossible and far-off dates, and ids of records of this team, another team or none.

Ids are drawn as `Ref` placeholders and turned into real primary keys against the world the test
built (`resolve`), so one strategy serves every test without knowing its rows in advance."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st


def repeated(low: int, high: int) -> st.SearchStrategy[str]:
    """Long text, cheaply: a few characters (NUL, accents, emoji, markup) repeated to a length."""
    return st.builds(
        lambda piece, count, tail: (piece * count)[:count] + tail,
        st.sampled_from(["x", "é", "\x00", "😀", "<script>", "9", " ", "\u202e"]),
        st.integers(min_value=low, max_value=high),
        st.text(max_size=3),
    )


# Text a form may be sent: ordinary, empty, huge, with NUL bytes and odd unicode, numbers as text.
text = st.one_of(
    st.text(max_size=30),
    st.just(""),
    repeated(300, 400),
    st.text(alphabet=st.sampled_from("\x00\u202e²٣१0123456789 -/.,:e"), max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["31", "2", "29", "0", "13", "1900", "9999", "2026", "1", "12", "-1", "NaN", "Infinity"]),
    st.sampled_from(["\x00", "a\x00b", "1\x00", " ", "\t\n", "\r\n--boundary", "%00", "' OR 1=1 --"]),
)
# Long text, up to the limits of the text boxes and past them.
long_text = st.one_of(text, repeated(195, 205), repeated(1990, 2010), repeated(4990, 5010))

numbers = st.one_of(
    text,
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["7.5", "0", "0.25", "37.5", "168", "168.01", "-3", "1e3", "1E-7", "999", "999.99"]),
    st.sampled_from(["1000", "12.345", "0.001", "1_000", "٣", "7,5", " 7 ", "+7", "0x10", "sNaN"]),
)

times = st.one_of(
    text,
    st.sampled_from(["09:00", "10:00", "10:30", "11:00", "13:00", "17:00", "23:59", "00:00"]),
    st.sampled_from(["25:00", "10:61", "10.15", "1015", "9", "24:00", "-1:00", "10:00:00", "noon"]),
)

booleans = st.one_of(text, st.sampled_from(["on", "true", "True", "1", "false", "0", "off"]))


def date_parts(prefix: str) -> st.SearchStrategy[dict]:
    """The three boxes of an NHS date input: real dates near today, 31 February, far past and far
    future years, missing boxes, words and unicode digits."""
    real = st.dates().map(lambda d: {"day": str(d.day), "month": str(d.month), "year": f"{d.year:04d}"})
    near = st.dates(min_value=_date(2024, 1, 1), max_value=_date(2029, 12, 31)).map(
        lambda d: {"day": str(d.day), "month": str(d.month), "year": str(d.year)}
    )
    impossible = st.sampled_from(
        [
            {"day": "31", "month": "2", "year": "2027"},
            {"day": "29", "month": "2", "year": "2027"},
            {"day": "29", "month": "2", "year": "2028"},
            {"day": "31", "month": "4", "year": "2027"},
            {"day": "0", "month": "1", "year": "2027"},
            {"day": "1", "month": "13", "year": "2027"},
            {"day": "1", "month": "1", "year": "0000"},
            {"day": "1", "month": "1", "year": "0001"},
            {"day": "31", "month": "12", "year": "9999"},
            {"day": "1", "month": "Sept", "year": "2027"},
            {"day": "1", "month": "february", "year": "2027"},
            {"day": "15", "month": "3", "year": "27"},
            {"day": "15", "month": "3", "year": "20270"},
        ]
    )
    typed = st.fixed_dictionaries({"day": text, "month": text, "year": text})
    return st.one_of(near, near, real, impossible, typed).flatmap(
        lambda parts: st.fixed_dictionaries(
            {}, optional={f"{prefix}_{part}": st.just(value) for part, value in parts.items()}
        )
    )


def _date(year: int, month: int, day: int):
    from datetime import date

    return date(year, month, day)


@dataclass(frozen=True)
class Ref:
    """A record of the world, by name: `Ref("venue")` is this team's venue, `Ref("venue", "other")`
    another team's, `Ref("venue", "gone")` an id no row has."""

    name: str
    whose: str = "own"


@dataclass(frozen=True)
class Join:
    """Records' ids in one value, as "12,13"."""

    refs: tuple
    separator: str = ","


def ref(name: str) -> st.SearchStrategy:
    """An id of the named record (mostly this team's), another team's, none, or rubbish."""
    return st.one_of(
        st.just(Ref(name)),
        st.just(Ref(name)),
        st.just(Ref(name)),
        st.just(Ref(name, "other")),
        st.just(Ref(name, "gone")),
        text,
        st.sampled_from(["0", "-1", "1.0", "9" * 19, "9" * 30, "1e3", "١", "00000001"]),
    )


def field(value: st.SearchStrategy) -> st.SearchStrategy:
    """A field as a browser (or not) sends it: once, repeated, or as an empty list."""
    return st.one_of(value, value, value, st.lists(value, min_size=0, max_size=3))


def post_data(
    fields: dict[str, st.SearchStrategy],
    *,
    dates: tuple[str, ...] = (),
    valid: st.SearchStrategy[dict] | None = None,
) -> st.SearchStrategy[dict]:
    """A post of the named fields, each maybe missing or repeated, the named dates as three boxes,
    and sometimes fields nobody asked for.

    With `valid` (a strategy of posts the view accepts), a third of the posts are valid ones and a
    third are valid ones with one or two fields made hostile or left out, so the fuzzing reaches
    what the view does with an almost right post, not only its form's first check."""
    units = {
        name: field(value).map(lambda v, name=name: {name: v}) | st.just({}) for name, value in fields.items()
    }
    units |= {prefix: date_parts(prefix) for prefix in dates}
    junk = st.dictionaries(st.text(min_size=1, max_size=12), field(text), max_size=2) | st.just({})
    chaos = st.tuples(
        st.fixed_dictionaries({}, optional={name: field(value) for name, value in fields.items()}),
        *(date_parts(prefix) for prefix in dates),
        junk,
    ).map(_merge)
    if valid is None:
        return chaos
    spoilt = st.tuples(
        valid,
        st.sets(st.sampled_from(sorted(units)), min_size=1, max_size=2).flatmap(
            lambda names: st.tuples(st.just(names), *(units[name] for name in sorted(names)))
        ),
    ).map(_spoil)
    return st.one_of(valid, spoilt, chaos)


def _spoil(parts) -> dict:
    post, (names, *hostile) = parts
    left_out = {f"{name}{suffix}" for name in names for suffix in ("", "_day", "_month", "_year")}
    post = {key: value for key, value in post.items() if key not in left_out}
    for fragment in hostile:
        post.update(fragment)
    return post


def valid_post(values: dict[str, st.SearchStrategy], dates: dict[str, st.SearchStrategy] | None = None):
    """A post as a person filling in the form right sends it; `dates` are typed into three boxes."""
    typed = [day.map(lambda d, prefix=prefix: as_parts(prefix, d)) for prefix, day in (dates or {}).items()]
    return st.tuples(st.fixed_dictionaries(values), *typed).map(_merge)


def days_from_today(first: int, last: int) -> st.SearchStrategy:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return st.dates(min_value=today + timedelta(days=first), max_value=today + timedelta(days=last))


def as_parts(prefix: str, day) -> dict[str, str]:
    """A date as a person types it into the three boxes."""
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _merge(parts) -> dict:
    merged: dict = {}
    for part in reversed(parts):  # the form's own fields win over junk of the same name
        merged.update(part)
    return merged


def resolve(value, ids: dict):
    """The post with every `Ref` turned into a primary key (as text, as a browser sends it)."""
    if isinstance(value, dict):
        return {key: resolve(v, ids) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, ids) for v in value]
    if isinstance(value, Ref):
        return str(ids[value.whose][value.name])
    if isinstance(value, Join):
        return value.separator.join(str(resolve(part, ids)) for part in value.refs)
    return value
