#!/usr/bin/env python3
"""Containment checker for the hand-made result labels (does not extract anything).

Checks, for every labelled tuple:
  * value_text occurs in sentence (and sentence[offset:offset+len(value_text)] == value_text)
  * sentence occurs in the source abstract (exactly, and after whitespace normalisation)
  * every spread text (CI / SD / IQR / range) occurs in the sentence
  * field presence / allowed values; paper title+index or PMID belong to the source
  * the PubMedQA selection rule reproduces selected_pmids
Usage: python3 verify.py   (exit status 0 = all checks pass)
"""
import json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = "/work/shared/seeds/papers-page.txt"
PQA = "/work/shared/bench/pubmedqa/ori_pqal.json"
PQA_TEST = "/work/shared/bench/pubmedqa/test_ground_truth.json"
KINDS = {"result", "improvement", "p_value", "sample_size", "descriptive", "setting", "model_size", "count"}
ws = lambda s: re.sub(r"\s+", " ", s).strip()
fails = []

def fail(where, msg):
    fails.append("%s: %s" % (where, msg))

def check_common(r, where, abstract):
    for f in ("value", "value_text", "unit", "metric", "kind", "own", "sentence", "condition", "dataset", "task"):
        if f not in r: fail(where, "missing field " + f)
    if r.get("kind") not in KINDS: fail(where, "bad kind %r" % r.get("kind"))
    vt, s = r["value_text"], r["sentence"]
    if not vt or vt not in s: fail(where, "value_text %r not in sentence" % vt)
    off = r.get("offset")
    if off is not None and s[off:off + len(vt)] != vt: fail(where, "offset %s does not point at %r" % (off, vt))
    if s not in abstract: fail(where, "sentence not verbatim in abstract")
    if ws(s) not in ws(abstract): fail(where, "sentence not in abstract after whitespace normalisation")
    for sp in r.get("spread") or []:
        if sp["text"] not in s: fail(where, "spread text %r not in sentence" % sp["text"])
    if r.get("numeral") not in ("digits", "word"): fail(where, "bad numeral flag")
    if r.get("numeral") == "digits" and not re.search(r"\d", vt): fail(where, "digits flag but no digit in value_text")

# ---------- sample ----------
lines = [l for l in open(PAGE, encoding="utf-8").read().split("\n") if l.strip()]
body = lines[5:]                      # first 5 non-empty lines are page chrome
papers = [(body[i], body[i + 1]) for i in range(0, len(body), 2)]
assert len(papers) == 76, len(papers)
S = json.load(open(os.path.join(HERE, "sample_results.json"), encoding="utf-8"))
titles = [t for t, _ in papers]
for i, r in enumerate(S["results"]):
    where = "sample[%d] #%s %r" % (i, r.get("paper_index"), r.get("value_text"))
    idx = r["paper_index"]
    if not (1 <= idx <= 76) or titles[idx - 1] != r["paper_title"]:
        fail(where, "paper_title/paper_index mismatch"); continue
    check_common(r, where, papers[idx - 1][1])
for t in S["papers_without_results"]:
    if t not in titles: fail("sample", "unknown title in papers_without_results: " + t)
lab = {r["paper_title"] for r in S["results"]}
if set(S["papers_without_results"]) & lab: fail("sample", "paper both labelled and 'without results'")
if len(lab) + len(S["papers_without_results"]) != 76: fail("sample", "papers not partitioned")

# ---------- PubMedQA ----------
d = json.load(open(PQA, encoding="utf-8")); test = json.load(open(PQA_TEST, encoding="utf-8"))
dev = [k for k in d if k not in test]
expected = [k for k in dev if re.search(r"[0-9]", " ".join(d[k]["CONTEXTS"]))][:100]
P = json.load(open(os.path.join(HERE, "pubmedqa_results.json"), encoding="utf-8"))
if P["selected_pmids"] != expected: fail("pubmedqa", "selected_pmids do not follow the selection rule")
if any(k in test for k in P["selected_pmids"]): fail("pubmedqa", "a test id was selected")
sel = set(P["selected_pmids"])
for i, r in enumerate(P["results"]):
    where = "pubmedqa[%d] %s %r" % (i, r.get("pmid"), r.get("value_text"))
    if r["pmid"] not in sel: fail(where, "pmid not selected"); continue
    if "group" not in r: fail(where, "missing group")
    check_common(r, where, " ".join(d[r["pmid"]]["CONTEXTS"]))
labp = {r["pmid"] for r in P["results"]}
if set(P["pmids_without_results"]) != sel - labp: fail("pubmedqa", "pmids_without_results inconsistent")

n_s, n_p = len(S["results"]), len(P["results"])
if fails:
    print("FAILED (%d problems)" % len(fails)); [print("  " + f) for f in fails[:200]]; sys.exit(1)
print("OK: sample %d tuples over %d papers; pubmedqa %d tuples over %d abstracts (%d selected); all containment checks pass"
      % (n_s, len(lab), n_p, len(labp), len(sel)))
