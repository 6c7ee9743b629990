import pytest

from matching.duplicates import find_near_duplicates
from matching.embedders import load_embedder

NEED = "经编车间设备联网与MES系统建设，实现生产数据实时采集和订单排产"
REWORDED = "我司经编车间需要建设MES系统，把设备联网，实时采集生产数据并自动排产订单"
UNRELATED = "污水处理站中水回用改造，降低新鲜水用量和排污量"
CANDIDATES = [(11, REWORDED), (12, UNRELATED), (13, "光伏组件生产线机器视觉缺陷检测")]


@pytest.mark.parametrize("backend", [None, "hash"])
def test_reworded_need_found_unrelated_not(backend: str | None) -> None:
    emb = load_embedder(backend) if backend else None
    found = find_near_duplicates(NEED, CANDIDATES, embedder=emb)
    assert [d.id for d in found] == [11]
    assert "mes" in found[0].shared_terms and "经编" in found[0].shared_terms
    assert 0 < found[0].score <= 1


def test_empty_inputs() -> None:
    assert find_near_duplicates("", CANDIDATES) == []
    assert find_near_duplicates(NEED, []) == []


@pytest.mark.realmodel
def test_reworded_need_found_with_e5() -> None:
    found = find_near_duplicates(NEED, CANDIDATES, embedder=load_embedder("e5"))
    assert [d.id for d in found] == [11]
