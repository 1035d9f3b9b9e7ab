"""Papermill smoke runs of every stage notebook on the ``smoke`` preset (FINN-style)."""

from pathlib import Path

import papermill as pm
import pytest

from lic.study import NOTEBOOKS, STAGES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_notebook_smoke(stage, tmp_path):
    nb = STAGES[stage][1]
    out = pm.execute_notebook(
        str(NOTEBOOKS / nb), str(tmp_path / nb), parameters={"preset": "smoke", "threads": 1},
        cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3",
    )
    errors = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert Path(tmp_path / nb).exists()
