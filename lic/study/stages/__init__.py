"""One module per study stage: each ``run(params)`` reads its inputs' artifacts, computes, and
writes ``artifacts/<stage>/<key>/`` (see :mod:`lic.study.runner`). Notebooks call these."""
