# Small authoring helpers for hand-written PubMedQA labels (no extraction logic: every tuple is typed by hand).
R = []
CUR = {}
def A(pmid, dataset=None, task=None):
    CUR.clear(); CUR.update(pmid=pmid, dataset=dataset, task=task)
def CI(text, low, high, type="95% CI"):
    return dict(type=type, text=text, low=low, high=high, value=None)
def SD(text, value, type="SD"):
    return dict(type=type, text=text, low=None, high=None, value=value)
def T(s, vt, kind, metric, group=None, unit=None, value=None, spread=None, q=None, cond=None, occ=0,
      word=False, ds="__default__", task="__default__", note=None, own=None, rp=None):
    R.append(dict(pmid=CUR["pmid"], s=s, value_text=vt, kind=kind, metric=metric, group=group, unit=unit,
                  value=value, spread=spread, qualifier=q, condition=cond, occ=occ,
                  numeral="word" if word else "digits",
                  dataset=CUR["dataset"] if ds == "__default__" else ds,
                  task=CUR["task"] if task == "__default__" else task, note=note, own=own, range_part=rp))
