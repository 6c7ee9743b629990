"""Mixed workload for Jiebang (run by bench/bench_load.py, or by hand against a seeded server).

Needs ``JIEBANG_LOAD_TOKENS``: a JSON file written by bench_load.py with bearer tokens of
enterprise and provider users and, per provider token, published needs it may still respond to.

Every request is named by endpoint (not by URL), so the statistics come out per endpoint.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
from typing import Any

from locust import FastHttpUser, between, events, task

API = "/api/v1"
KEYWORDS = [
    "冲压模具磨损在线监测",
    "注塑机余热回收",
    "印染废水处理回用",
    "设备预测性维护",
    "视觉检测 缺陷",
    "能耗监测平台",
    "VOCs 废气治理",
    "数字化车间 MES",
    "电机系统节能改造",
    "光伏储能微电网",
    "化纤 纺丝 断头检测",
    "造纸 节水",
]
HYBRID_QUERIES = [
    "我们的冲压件经常出现毛刺，想在线发现模具磨损",
    "车间用电太多，希望有一套能耗在线监测和节能方案",
    "染整车间废水温度高，想把热量回收再利用",
    "仓库人工盘点慢，想要自动识别和数字化管理",
    "想用机器视觉替代人工检测外观缺陷",
    "锅炉烟气余热浪费，想做余热回收",
]

_data: dict[str, Any] = {}
_lock = threading.Lock()
_counter = itertools.count()


@events.init.add_listener
def _load_tokens(environment: Any, **_: Any) -> None:
    with open(os.environ["JIEBANG_LOAD_TOKENS"], encoding="utf-8") as fh:
        data = json.load(fh)
    _data.update(data)
    # Each provider token gets its own queue of needs it has not responded to yet.
    _data["open"] = {tok: list(ids) for tok, ids in data["respondable"].items()}


class MarketUser(FastHttpUser):
    """One visitor: mostly reading and searching, sometimes posting a need or a response."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        n = next(_counter)
        ents, provs = _data["enterprise_tokens"], _data["provider_tokens"]
        self.enterprise = {"Authorization": f"Bearer {ents[n % len(ents)]}"}
        self.provider_token = provs[n % len(provs)]
        self.provider = {"Authorization": f"Bearer {self.provider_token}"}
        self.need_ids: list[int] = _data["published_need_ids"]
        self.provider_ids: list[int] = _data["provider_org_ids"]

    @task(25)
    def browse_needs(self) -> None:
        page = random.randint(1, 5)
        self.client.get(f"{API}/needs?page={page}&per_page=20", name="GET /needs (list)")

    @task(10)
    def view_need(self) -> None:
        self.client.get(
            f"{API}/needs/{random.choice(self.need_ids)}", headers=self.provider, name="GET /needs/{id}"
        )

    @task(20)
    def search_keyword(self) -> None:
        self.client.get(
            f"{API}/search/needs",
            params={"q": random.choice(KEYWORDS), "mode": "keyword"},
            name="GET /search/needs keyword",
        )

    @task(15)
    def search_hybrid(self) -> None:
        self.client.get(
            f"{API}/search/needs",
            params={"q": random.choice(HYBRID_QUERIES), "mode": "hybrid"},
            name="GET /search/needs hybrid",
        )

    @task(5)
    def search_providers(self) -> None:
        self.client.get(
            f"{API}/search/providers",
            params={"q": random.choice(KEYWORDS), "mode": "hybrid"},
            name="GET /search/providers hybrid",
        )

    @task(10)
    def recommend(self) -> None:
        """A provider asks for needs recommended to its own organisation."""
        if _data.get("recommend_path"):
            org = _data["provider_org_of"][self.provider_token]
            self.client.get(
                _data["recommend_path"].format(id=org), headers=self.provider, name="GET recommend needs for provider"
            )
        else:  # no recommendation route in this build: fall back to the provider directory
            self.client.get(f"{API}/providers?page={random.randint(1, 5)}", name="GET /providers (list)")

    @task(5)
    def post_need(self) -> None:
        n = next(_counter)
        body = {
            "title": f"压测需求{n}：产线能耗在线监测与节能改造",
            "summary": "希望对注塑车间进行能耗在线监测，识别高耗能设备并给出节能改造方案。",
            "industry": "汽车制造",
            "track": "green",
            "county": "南湖区",
            "budget_min_wan": 20.0,
            "budget_max_wan": 80.0,
            "deadline": _data["deadline"],
            "cooperation_mode": "技术开发",
            "anonymous": False,
            "description": "车间共有注塑机 40 台，年用电 800 万千瓦时。",
            "problem": "缺少分项计量，无法定位能耗异常。",
            "indicators": "综合节能率≥10%",
            "tried": "人工抄表。",
            "current_state": "每月人工统计一次。",
            "expected_outcome": "能耗监测平台一套并接入 MES。",
            "contact_name": "王工",
            "contact_phone": "0573-88888888",
            "disclosure": "public",
            "confidentiality_terms": "",
        }
        self.client.post(f"{API}/needs", json=body, headers=self.enterprise, name="POST /needs")

    @task(5)
    def respond(self) -> None:
        with _lock:
            queue = _data["open"].get(self.provider_token) or []
            need_id = queue.pop() if queue else None
        if need_id is None:
            return
        body = {
            "approach": "基于多源传感数据融合的在线监测方案，边缘端部署，云端建模与预测。",
            "team": "教授 1 名、博士 3 名。",
            "timeline": "3 个月样机，6 个月验收。",
            "price_wan": 60,
        }
        self.client.post(
            f"{API}/needs/{need_id}/responses",
            json=body,
            headers=self.provider,
            name="POST /needs/{id}/responses",
        )
