"""Assemble the hand-written labels into the two JSON files.

This script does NOT find or extract any numbers: every tuple (value, metric, kind, ...) is typed by hand
in sample_labels.py / pqa_b*.py.  It only (a) copies the full sentence verbatim from the source abstract
(by hand-given sentence index or hand-given anchor substring), (b) records the character offset of the
hand-given value_text in that sentence, and (c) converts the hand-given value string to a float.
"""
import json, re, sys, os, importlib
HERE = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, HERE)
import seg

OUT = os.path.dirname(HERE)

def value_num(v, note=None):
    if v is None: return None
    s = v.strip()
    if note and "thousands separator" in note: return float(s.replace(".", ""))
    s = s.replace(",", "").replace(" ", "")
    m = re.fullmatch(r"10\^\{?(\d+)\}?", s) or re.fullmatch(r"10\((\d+)\)", s)
    if m: return float(10 ** int(m.group(1)))
    if re.fullmatch(r"\d+/\d+", s):
        a, b = s.split("/"); return float(a) / float(b)
    if ":" in s: return None
    try: return float(s)
    except ValueError: return None

def derive_value(vt):
    m = re.search(r"[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)", vt)
    return m.group(0) if m else None

def occurrences(sentence, vt):
    pat = r"(?<![0-9A-Za-z.])(?<![A-Za-z]\()" + re.escape(vt) + r"(?![0-9A-Za-z]|[.,][0-9])"
    return [m.start() for m in re.finditer(pat, sentence)]

errors = []

# ---------------- sample -----------------
import sample_labels
papers = seg.sample_papers()
sample_out = []
for r in sample_labels.R:
    idx = r["paper_index"]; title, abstract = papers[idx - 1]
    sents = seg.split_sentences(abstract)
    anchor = r["anchor"] or r["value_text"]
    hits = [s for s in sents if anchor in s]
    if len(hits) != 1:
        errors.append(("sample", idx, r["value_text"], "anchor hits=%d" % len(hits))); continue
    s = hits[0]
    if anchor.count(r["value_text"]) != 1 and r["anchor"]:
        errors.append(("sample", idx, r["value_text"], "value_text not unique in anchor")); continue
    if s.count(anchor) != 1:
        errors.append(("sample", idx, r["value_text"], "anchor not unique in sentence")); continue
    off = s.index(anchor) + anchor.index(r["value_text"])
    v = r["value"]
    sample_out.append(dict(
        paper_title=title, paper_index=idx, task=r["task"], dataset=r["dataset"], metric=r["metric"],
        value=v, value_num=value_num(v, r["note"]), value_text=r["value_text"], unit=r["unit"],
        qualifier=r["qualifier"], condition=r["condition"], baseline=r["baseline"], own=r["own"],
        kind=r["kind"], numeral=r["numeral"], range_part=r["range_part"], sentence=s, offset=off, note=r["note"]))
labelled_idx = {r["paper_index"] for r in sample_out}
without = [t for i, (t, a) in enumerate(papers, 1) if i not in labelled_idx]
# papers whose only labels are non-result kinds are listed separately
core = {"result", "improvement"}
only_aux = [papers[i - 1][0] for i in sorted(labelled_idx)
            if not any(r["paper_index"] == i and r["kind"] in core for r in sample_out)]
sample_doc = {
    "source": "/work/shared/seeds/papers-page.txt (saved 'trending papers' page, 76 papers; abstracts only, page chrome ignored)",
    "rules": "RULES.md",
    "n_papers": len(papers),
    "papers_without_results": without,
    "papers_with_only_non_core_numbers": only_aux,
    "results": sample_out,
}

# ---------------- PubMedQA -----------------
import pqa_api
for b in range(10):
    importlib.import_module("pqa_b%d" % b)
d, sel = seg.pqa()
pq_out = []
seen_pmids = []
for r in pqa_api.R:
    pm = r["pmid"]
    sents = seg.sents_of_pmid(d, pm)
    si = r["s"]
    s = " ".join(sents[i] for i in si) if isinstance(si, tuple) else sents[si]
    occ = occurrences(s, r["value_text"])
    if len(occ) <= r["occ"]:
        errors.append(("pqa", pm, si, r["value_text"], "occurrences=%d need occ %d" % (len(occ), r["occ"]))); continue
    v = r["value"] if r["value"] is not None else derive_value(r["value_text"])
    unit = r["unit"]
    if unit is None and r["value_text"].endswith("%"): unit = "%"
    spread = r["spread"]
    if isinstance(spread, dict): spread = [spread]
    for sp in spread or []:
        if sp["text"] not in s: errors.append(("pqa", pm, si, r["value_text"], "spread text not in sentence: " + sp["text"]))
    pq_out.append(dict(
        pmid=pm, task=r["task"], dataset=r["dataset"], group=r["group"], metric=r["metric"],
        value=v, value_num=value_num(v, r["note"]), value_text=r["value_text"], unit=unit, qualifier=r["qualifier"],
        spread=spread, range_part=r["range_part"], condition=r["condition"], own=r["own"], kind=r["kind"],
        numeral=r["numeral"], sentence=s, offset=occ[r["occ"]], note=r["note"]))
labelled_pmids = []
for k in pqa_api.R:
    if k["pmid"] not in labelled_pmids: labelled_pmids.append(k["pmid"])
_test = json.load(open("/work/shared/bench/pubmedqa/test_ground_truth.json"))
_dev = [x for x in d if x not in _test]
SKIPPED = [x for x in _dev[:_dev.index(sel[-1])] if x not in sel]
pq_doc = {
    "source": "/work/shared/bench/pubmedqa/ori_pqal.json (CONTEXTS joined with a single space)",
    "rules": "RULES.md",
    "selection_rule": "dev ids = keys of ori_pqal.json (file order) not in test_ground_truth.json; take the first 100 whose "
                      "' '.join(CONTEXTS) matches the regex [0-9]",
    "selected_pmids": sel,
    "skipped_dev_pmids_without_digits": SKIPPED,
    "pmids_without_results": [k for k in sel if k not in {r["pmid"] for r in pq_out}],
    "results": pq_out,
}
missing_decl = [k for k in sel if k not in labelled_pmids]
if errors:
    for e in errors: print("ERROR", e)
    sys.exit(1)
json.dump(sample_doc, open(os.path.join(OUT, "sample_results.json"), "w"), indent=1, ensure_ascii=False)
json.dump(pq_doc, open(os.path.join(OUT, "pubmedqa_results.json"), "w"), indent=1, ensure_ascii=False)
print("sample tuples", len(sample_out), "pqa tuples", len(pq_out))
print("pmids labelled", len({r['pmid'] for r in pq_out}), "of", len(sel), "; not declared:", missing_decl)
