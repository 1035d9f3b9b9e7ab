"""Training: the RD loop (:mod:`.loop`, ``python -m lic.train``), KD (:mod:`.kd`), student specs, pruning, DDP."""
