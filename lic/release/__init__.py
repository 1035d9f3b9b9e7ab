"""Release: the recipes of the released weights (:mod:`.recipes`), the campaign CLI (``python -m lic.release``),
device jobs (:mod:`.gpujob`), run logs."""
