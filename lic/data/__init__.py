"""Data: images and crops (:mod:`.images`), the streaming loader (:mod:`.streaming`),
evaluation sets with checksums (:mod:`.evalsets`)."""
