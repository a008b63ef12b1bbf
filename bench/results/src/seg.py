import re, json
ABBR = r"(?:e\.g|i\.e|vs|et al|Fig|No|approx|cf|resp|Dr|Mr|Mrs|St|Jr|ca|etc|\b[A-Z])\.$"
def split_sentences(text):
    # candidate boundaries: . ! ? followed by whitespace then uppercase/opening bracket/digit
    out=[]; start=0
    for m in re.finditer(r'[.!?](?=\s+[A-Z(\[0-9"])|(?<=\))\.(?=\s+[a-z])', text):
        end=m.end()
        chunk=text[start:end]
        if re.search(ABBR, chunk): continue
        out.append(chunk.strip()); start=end
    if text[start:].strip(): out.append(text[start:].strip())
    return out
def sample_papers():
    lines=[l for l in open('/work/shared/seeds/papers-page.txt').read().split('\n') if l.strip()]
    ps=lines[5:]
    return [(ps[i], ps[i+1]) for i in range(0,len(ps),2)]
def pqa():
    d=json.load(open('/work/shared/bench/pubmedqa/ori_pqal.json')); t=json.load(open('/work/shared/bench/pubmedqa/test_ground_truth.json'))
    dev=[k for k in d if k not in t]
    sel=[k for k in dev if re.search(r'\d',' '.join(d[k]['CONTEXTS']))][:100]
    return d, sel
def sents_of_pmid(d,k):
    out=[]
    for p in d[k]['CONTEXTS']: out+=split_sentences(p)
    return out
