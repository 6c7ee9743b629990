import threading

from matching.text import domain_terms, keyterms, segment, shared_terms


def test_domain_terms_stay_whole_and_stop_words_go() -> None:
    words = segment("我们的经编车间需要进行数字化改造，并做余热回收和中水回用，部署MES")
    for term in ("经编", "数字化改造", "余热回收", "中水回用", "mes"):
        assert term in words
    assert "的" not in words and "和" not in words and "，" not in words


def test_domain_dictionary_has_several_hundred_terms() -> None:
    terms = domain_terms()
    assert len(terms) >= 300
    assert {"数控机床", "工业机器人", "光伏组件", "碳效码", "数字孪生"} <= terms


def test_keyterms_prefer_domain_terms_and_sum_to_one() -> None:
    terms = keyterms("公司希望对数控机床进行智能化改造，同时建设能耗在线监测系统，公司位于嘉兴", k=4)
    words = [w for w, _ in terms]
    assert "数控机床" in words and "能耗在线监测" in words
    assert abs(sum(w for _, w in terms) - 1.0) < 1e-9
    assert keyterms("") == []


def test_shared_terms_lists_common_words() -> None:
    common = shared_terms("光伏组件缺陷检测", "基于机器视觉的光伏组件缺陷检测系统")
    assert "光伏组件" in common and "缺陷检测" in common


def test_segment_is_thread_safe() -> None:
    results: list[list[str]] = []

    def work() -> None:
        results.append(segment("工业互联网平台与数字孪生"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == results[0] for r in results) and "数字孪生" in results[0]
