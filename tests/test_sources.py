"""Parsing every supported format into paper records, and clear errors for bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, SAMPLE

from assistant.sources import SourceError, expand_paths, global_id, parse_file, read_source
from assistant.sources.records import split_authors


def test_sample_page_has_exactly_76_papers_and_no_page_chrome():
    papers = parse_file(SAMPLE)
    titles = [p.title for p in papers]
    assert len(papers) == 76
    assert titles[0] == "Efficient Architecture Search by Network Transformation"
    assert titles[-1] == "Learnable Commutative Monoids for Graph Neural Networks"
    for chrome in ("Subscribe", "new", "Mar 12", "byAK and the research community"):
        assert chrome not in titles
    assert len({p.id for p in papers}) == 76
    assert all(len(p.abstract) > 200 for p in papers)


def test_code_urls_in_abstract_become_metadata():
    papers = {p.title: p for p in parse_file(SAMPLE)}
    trp = papers["Trained Rank Pruning for Efficient Deep Neural Networks"]
    assert trp.code_urls == ["https://github.com/yuhuixu1993/Trained-Rank-Pruning"]
    stu = papers["STU-Net: Scalable and Transferable Medical Image Segmentation Models "
                 "Empowered by Large-Scale Supervised Pre-training"]
    assert stu.code_urls == ["https://github.com/Ziyan-Huang/STU-Net"]  # trailing '.' dropped


def test_ids_are_stable_across_parses():
    assert [p.id for p in parse_file(SAMPLE)] == [p.id for p in parse_file(SAMPLE)]


def test_arxiv_jsonl_keeps_metadata():
    papers = parse_file(DATA / "arxiv.jsonl")
    fast = papers[0]
    assert fast.id == "1903.03273"
    assert fast.title.startswith("FastDepth")
    assert fast.year == 2019
    assert fast.categories == ["cs.CV", "cs.RO"]
    assert fast.authors[0] == "Diana Wofk"
    assert fast.url == "https://arxiv.org/abs/1903.03273"
    assert "\n" not in fast.abstract and not fast.abstract.startswith(" ")


def test_bibtex_with_abstracts():
    papers = parse_file(DATA / "zotero.bib")
    assert [p.title for p in papers] == ["Attention Is All You Need",
                                         "Deep Residual Learning for Image Recognition"]
    assert papers[0].year == 2017
    assert "Transformer" in papers[0].abstract and "{" not in papers[0].abstract
    assert papers[0].authors == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert papers[0].id == "1706.03762"  # the arXiv id in its url is a global id
    assert papers[1].id == "zotero.bib:he2016deep"  # a BibTeX key only names it in this file
    assert papers[0].url == "https://arxiv.org/abs/1706.03762"


def test_bibtex_percent_signs_are_text_not_latex_comments(tmp_path: Path):
    bib = tmp_path / "pct.bib"
    bib.write_text("@article{k, title={T}, author={Doe, Jane and others}, abstract={Error "
                   "falls by 30% on one set and by 12\\% on the other. Code is released.}}\n")
    paper = parse_file(bib)[0]
    assert paper.abstract == ("Error falls by 30% on one set and by 12% on the other. "
                              "Code is released.")
    assert paper.authors == ["Jane Doe"]  # "and others" is et al., not a person


def test_csv_json_and_markdown():
    csv_papers = parse_file(DATA / "papers.csv")
    assert [p.year for p in csv_papers] == [2014, 2015]
    assert parse_file(DATA / "papers.json")[0].title.startswith("Sequence to Sequence")
    md = parse_file(DATA / "notes.md")
    assert len(md) == 1
    assert md[0].title.startswith("Batch Normalization")
    assert md[0].code_urls == ["https://github.com/example/bn"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.jsonl", '{"title": "A", "abstract": "B"}\n{not json}\n', "broken.jsonl:2"),
        ("missing.jsonl", '{"title": "Only a title"}\n', "missing.jsonl:1"),
        ("bad.json", '[{"title": "x", "abstract": "y"},', "bad.json:1"),
        ("cols.csv", "name,text\na,b\n", "cols.csv:1"),
        ("gaps.csv", 'title,abstract\nA,"Two\nlines"\n\n\nB,\n', "gaps.csv:6: record"),
        ("empty.txt", "   \n", "file is empty"),
        ("chrome.txt", "Subscribe\n\nMar 12\n", "no papers found"),
        ("paper.pdf", "%PDF-1.4", "unsupported file type"),
        ("noabs.bib", "@article{k, title={T}}\n", "entry 'k'"),
    ],
)
def test_bad_files_give_one_line_errors_naming_file_and_place(tmp_path: Path, name, content,
                                                                expected):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SourceError) as info:
        parse_file(path)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_file_and_binary_file(tmp_path: Path):
    with pytest.raises(SourceError, match="no such file"):
        parse_file(tmp_path / "nope.txt")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SourceError, match="binary data"):
        parse_file(binary)


@pytest.mark.parametrize(("value", "expected"), [
    ("1903.03273", "1903.03273"),
    ("arXiv:1903.03273v2", "1903.03273"),
    ("hep-th/9901001", "hep-th/9901001"),
    ("https://arxiv.org/abs/2106.09685v1", "2106.09685"),
    ("10.1103/PhysRevD.76.013009", "10.1103/physrevd.76.013009"),
    ("https://doi.org/10.1234/ABC", "10.1234/abc"),
    ("doi:10.1234/abc", "10.1234/abc"),
    ("10.48550/arXiv.1706.03762", "1706.03762"),  # arXiv's DOI names the preprint
    ("https://doi.org/10.48550/ARXIV.2106.09685", "2106.09685"),
    ("smith2020", None),
    ("1", None),
    ("", None),
])
def test_global_ids_are_recognised_in_their_usual_spellings(value, expected):
    assert global_id(value) == expected


def test_local_ids_are_scoped_to_their_file_and_global_ids_are_shared(tmp_path: Path):
    abstract = "A long enough abstract about a method that does something useful. " * 4
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(f'id,title,abstract,doi\n1,Paper of {name},"{abstract}",\n'
                                     f'2,Shared DOI paper,"{abstract}",10.1000/SHARED\n')
    a, b = parse_file(tmp_path / "a.csv"), parse_file(tmp_path / "b.csv")
    assert [p.id for p in a] == ["a.csv:1", "10.1000/shared"]
    assert [p.id for p in b] == ["b.csv:1", "10.1000/shared"]
    assert a[0].legacy_id == "1"  # what an index built before scoping called it


@pytest.mark.parametrize(("value", "expected"), [
    ("Diana Wofk, Fangchang Ma and Vivienne Sze", ["Diana Wofk", "Fangchang Ma", "Vivienne Sze"]),
    ("Doe, Jane and Roe, Richard", ["Jane Doe", "Richard Roe"]),
    ("Doe, Jane; Roe, Richard", ["Jane Doe", "Richard Roe"]),
    ("Nitish Srivastava; Geoffrey Hinton", ["Nitish Srivastava", "Geoffrey Hinton"]),
    ([["Wofk", "Diana", ""], ["Sze", "Vivienne", ""]], ["Diana Wofk", "Vivienne Sze"]),
    ([{"given": "Ada", "family": "Lovelace"}, {"name": "Alan Turing"}],
     ["Ada Lovelace", "Alan Turing"]),
    ("Smith, Jr.", ["Smith, Jr."]),
    ("C. Bal\\'azs, E. L. Berger and C.-P. Yuan", ["C. Balázs", "E. L. Berger", "C.-P. Yuan"]),
    ('M{\\"u}ller, J{\\"o}rg; Doe, J.', ["Jörg Müller", "J. Doe"]),
])
def test_author_lists_in_every_export_shape(value, expected):
    assert split_authors(value) == expected


def test_a_folder_is_searched_recursively_for_supported_files(tmp_path: Path):
    nested = tmp_path / "exports" / "2024"
    nested.mkdir(parents=True)
    shutil.copy(DATA / "arxiv.jsonl", nested)
    shutil.copy(DATA / "zotero.bib", tmp_path / "exports")
    (tmp_path / "exports" / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "exports" / ".hidden.bib").write_text("@article{x, title={Hidden}}")
    files, errors = expand_paths([tmp_path / "exports"])
    assert [f.name for f in files] == ["arxiv.jsonl", "zotero.bib"] and not errors
    (tmp_path / "nothing").mkdir()
    assert "no supported files" in expand_paths([tmp_path / "nothing"])[1][0]


def test_a_json_file_holding_json_lines_is_read_line_by_line(tmp_path: Path):
    """arXiv's metadata snapshot is JSON Lines under a .json name: each line its own
    record, and a broken line costs only itself."""
    abstract = "We describe a new algorithm for sparse graphs and prove its running time."
    lines = [json.dumps({"id": f"0704.000{i}", "title": f"Paper {i}", "abstract": abstract,
                         "authors": "A. Author"}) for i in (1, 2)]
    dump = tmp_path / "arxiv-metadata-oai-snapshot.json"
    dump.write_text(f"{lines[0]}\n{{broken\n{lines[1]}\n")
    result = read_source(dump)
    assert [p.id for p in result.papers] == ["0704.0001", "0704.0002"]
    assert [str(p) for p in result.problems] == [f"{dump}:2: invalid JSON (Expecting "
                                                 "property name enclosed in double quotes)"]
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"title": "One", "abstract": abstract}, indent=1))
    assert [p.title for p in parse_file(single)] == ["One"]  # pretty-printed: still JSON
