"""The study: typed stage configs (:mod:`.config`), the plan and its keyed artifacts (:mod:`.artifacts`), the runner
(``python -m lic.study``), the stage back ends (:mod:`.stages`), plots and tables."""
