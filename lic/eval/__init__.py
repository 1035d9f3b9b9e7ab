"""Evaluation: RD with real bitstreams (:mod:`.rd`), metrics, statistics, measured-row reuse (:mod:`.measured`)."""
