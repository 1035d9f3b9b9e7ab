import pytest

from lic.errors import ParameterError
from lic.study.sweep import grid_points, main, sweep


def test_grid_points_product_and_errors():
    pts = grid_points({"01.steps": [1, 2], "02.widths": [[8], [12]]})
    assert len(pts) == 4 and {"01": {"steps": 1}, "02": {"widths": [8]}} in pts
    with pytest.raises(ParameterError, match="STAGE.param"):
        grid_points({"steps": [1]})
    with pytest.raises(ParameterError, match="non-empty"):
        grid_points({"01.steps": []})
    assert main(["--preset", "smoke"]) == 2


@pytest.mark.slow
def test_sweep_runs_points_on_a_dask_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path / "art"))
    df = sweep("smoke", {"01.lambdas": [[0.01], [0.02]], "01.threads": [1]}, stages=["01"], workers=2,
               out_root=tmp_path / "runs")
    assert list(df.status) == ["ok", "ok"]
    assert df["keys"].map(lambda k: k["01"]).nunique() == 2  # two distinct artifacts
