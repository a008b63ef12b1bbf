#!/usr/bin/env python3
"""Sanity checks for sample_questions.json (see QUESTIONS.md).

Hard checks (exit 1 on failure): gold titles are exact titles in the source file,
40 questions, 10 out_of_scope, 30 in scope, 15 follow-ups, unique ids, valid kinds,
out_of_scope has empty gold and no follow-up, in-scope gold non-empty,
1-3 answer_facts, >= 25 distinct gold papers.
Soft checks (printed as WARN): every number in an in-scope answer fact appears in a
gold abstract; no 8-word run of a question is copied verbatim from an abstract.
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
data = json.loads((HERE / "sample_questions.json").read_text())
src_text = Path(data["source"]).read_text()

# The page is: chrome lines, a date line ("Mar 12"), then title / abstract pairs.
lines = [l.strip() for l in src_text.splitlines() if l.strip()]
start = lines.index("Mar 12") + 1
body = lines[start:]
assert len(body) % 2 == 0, "title/abstract lines do not pair up"
papers = {body[i]: body[i + 1] for i in range(0, len(body), 2)}

errors, warns = [], []
def err(m): errors.append(m)
def warn(m): warns.append(m)

if len(papers) != 76:
    err(f"expected 76 papers in source, parsed {len(papers)}")

qs = data["questions"]
kinds = [q["kind"] for q in qs]
ids = [q["id"] for q in qs]
fups = [q for q in qs if q.get("follow_up")]

if len(qs) != 40: err(f"expected 40 questions, got {len(qs)}")
if len(set(ids)) != len(ids): err("duplicate ids")
if kinds.count("out_of_scope") != 10: err(f"expected 10 out_of_scope, got {kinds.count('out_of_scope')}")
in_scope = [q for q in qs if q["kind"] in ("open", "yes_no")]
if len(in_scope) != 30: err(f"expected 30 in-scope, got {len(in_scope)}")
if len(fups) != 15: err(f"expected 15 follow-ups, got {len(fups)}")
for q in qs:
    if q["kind"] not in ("open", "yes_no", "out_of_scope"):
        err(f"{q['id']}: bad kind {q['kind']}")

def words(s):
    return re.findall(r"[a-z0-9]+", s.lower())

abstract_ngrams = set()
for a in papers.values():
    w = words(a)
    abstract_ngrams.update(tuple(w[i:i + 8]) for i in range(len(w) - 7))

def check_item(label, item, oos):
    gold, facts = item["gold"], item["answer_facts"]
    if oos:
        if gold: err(f"{label}: out_of_scope must have empty gold")
    else:
        if not gold: err(f"{label}: in-scope question needs gold")
    for t in gold:
        if t not in papers:
            err(f"{label}: gold title not an exact title in source: {t!r}")
        elif t not in src_text:
            err(f"{label}: gold title not found in file: {t!r}")
    if not 1 <= len(facts) <= 3:
        err(f"{label}: needs 1-3 answer_facts, has {len(facts)}")
    if not oos:
        abstracts = " ".join(papers.get(t, "") for t in gold)
        nums_in_abs = set(re.findall(r"\d+(?:\.\d+)?", abstracts))
        for f in facts:
            for n in re.findall(r"\d+(?:\.\d+)?", f):
                if n not in nums_in_abs:
                    warn(f"{label}: number {n} in fact {f!r} not in gold abstract(s)")
    w = words(item["question"])
    for i in range(len(w) - 7):
        if tuple(w[i:i + 8]) in abstract_ngrams:
            warn(f"{label}: question copies 8+ words from an abstract: {' '.join(w[i:i+8])}")
            break

for q in qs:
    oos = q["kind"] == "out_of_scope"
    check_item(q["id"], q, oos)
    if oos and q.get("follow_up"):
        err(f"{q['id']}: out_of_scope should have no follow_up")
    if q.get("follow_up"):
        check_item(q["id"] + ".follow_up", q["follow_up"], False)

main_gold = {t for q in qs for t in q["gold"]}
all_gold = main_gold | {t for q in fups for t in q["follow_up"]["gold"]}
if len(main_gold) < 25:
    err(f"only {len(main_gold)} distinct gold papers in main questions (< 25)")

print(f"papers in source:            {len(papers)}")
print(f"questions:                   {len(qs)}")
print(f"  open / yes_no / oos:       {kinds.count('open')} / {kinds.count('yes_no')} / {kinds.count('out_of_scope')}")
print(f"follow-ups:                  {len(fups)}")
print(f"distinct gold (main):        {len(main_gold)}")
print(f"distinct gold (incl. f-ups): {len(all_gold)}")
for m in warns:
    print("WARN", m)
for m in errors:
    print("ERROR", m)
print("OK" if not errors else f"FAILED ({len(errors)} errors)")
sys.exit(1 if errors else 0)
