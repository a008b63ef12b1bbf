"""Citation checking: fabricated source numbers are removed and reported."""

from assistant.answer.cite import StreamingCitationFilter, check_citations


def test_fabricated_citation_is_dropped_and_reported():
    check = check_citations("FastDepth runs at 178 fps [1]. It beats everything [9].", {1, 2, 3})
    assert check.cited == [1]
    assert check.invalid == [9]
    assert "[9]" not in check.text
    assert check.text == "FastDepth runs at 178 fps [1]. It beats everything."


def test_grouped_and_ranged_citations():
    check = check_citations("A [1, 2]. B [2-4]. C [3][7].", {1, 2, 3, 4})
    assert check.cited == [1, 2, 3, 4]
    assert check.invalid == [7]
    assert check.text == "A [1][2]. B [2][3][4]. C [3]."


def test_no_citations():
    check = check_citations("Nothing cited here.", {1})
    assert check.cited == [] and check.invalid == []


def test_streaming_filter_never_shows_a_fabricated_citation():
    out: list[str] = []
    stream = StreamingCitationFilter({1, 2}, out.append)
    for piece in ["Fast", " [", "1", "] and", " [9", "] [2, 9", "] see [note] x["]:
        stream.feed(piece)
    stream.flush()
    text = "".join(out)
    assert text == "Fast [1] and  [2] see [note] x["
    assert "9" not in text
