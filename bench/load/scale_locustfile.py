"""The 50-user mix of bench/bench_scale.py: mostly reads, some writes, named as the bench's table.

Needs ``JIEBANG_SCALE_DATA``: the JSON file bench_scale.py writes (tokens, published need ids,
the texts it posts).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import FastHttpUser, between, events, task

API = "/api/v1"
_data: dict[str, Any] = {}
_counter = itertools.count()


@events.init.add_listener
def _load(environment: Any, **_: Any) -> None:
    with open(os.environ["JIEBANG_SCALE_DATA"], encoding="utf-8") as fh:
        _data.update(json.load(fh))


class ScaleUser(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        n = next(_counter)
        ents = _data["enterprises"]
        self.ent = {"Authorization": f"Bearer {ents[n % len(ents)]}"}
        provs = list(_data["providers"].items())
        self.prov_id, tok = provs[n % len(provs)]
        self.prov = {"Authorization": f"Bearer {tok}"}
        self.bureau = {"Authorization": f"Bearer {_data['bureau']}"}
        self.pub: list[int] = _data["published"]
        self.problems: list[list[str]] = _data["problems"]

    def _need(self) -> int:
        return random.choice(self.pub)

    @task(15)
    def needs_list(self) -> None:
        self.client.get(f"{API}/needs?per_page=20&page={random.randint(1, 5)}", name="needs list")

    @task(5)
    def needs_filtered(self) -> None:
        self.client.get(f"{API}/needs?industry=汽车制造&county=南湖区&order=deadline", name="needs list filtered")

    @task(10)
    def need_page(self) -> None:
        self.client.get(f"{API}/needs/{self._need()}", headers=self.prov, name="need page (API)")

    @task(5)
    def need_html(self) -> None:
        self.client.get(f"/needs/{self._need()}", name="need page (HTML)")

    @task(12)
    def keyword(self) -> None:
        self.client.get(f"{API}/search/needs", params={"q": random.choice(self.problems)[1], "mode": "keyword"}, name="search keyword")

    @task(10)
    def hybrid(self) -> None:
        self.client.get(f"{API}/search/needs", params={"q": "想做" + random.choice(self.problems)[1], "mode": "hybrid"}, name="search hybrid")

    @task(4)
    def faceted(self) -> None:
        p = random.choice(self.problems)
        self.client.get(f"{API}/search/needs", params={"q": p[0], "mode": "keyword", "industry": "汽车制造", "county": "南湖区"}, name="search faceted")

    @task(4)
    def providers(self) -> None:
        self.client.get(f"{API}/search/providers", params={"q": random.choice(_data["fields"]), "mode": "hybrid"}, name="search providers")

    @task(4)
    def recommend_providers(self) -> None:
        self.client.get(f"{API}/needs/{self._need()}/recommended-providers", headers=self.bureau, name="recommend providers")

    @task(4)
    def recommend_needs(self) -> None:
        self.client.get(f"{API}/providers/{self.prov_id}/recommended-needs", headers=self.prov, name="recommend needs")

    @task(3)
    def duplicates(self) -> None:
        p = random.choice(self.problems)
        self.client.post(f"{API}/needs/duplicates", json={**_data["new_need"], "title": p[0] + p[1]}, headers=self.ent, name="duplicate check")

    @task(3)
    def post_need(self) -> None:
        body = {**_data["new_need"], "title": f"压测需求{next(_counter)}：产线能耗在线监测"}
        self.client.post(f"{API}/needs", json=body, headers=self.ent, name="post need")

    @task(3)
    def respond(self) -> None:
        with self.client.post(f"{API}/needs/{self._need()}/responses", json=_data["response"], headers=self.prov,
                              name="respond", catch_response=True) as r:
            if r.status_code == 409:  # already responded to this need: not an error of the app
                r.success()

    @task(2)
    def progress(self) -> None:
        self.client.get(f"{API}/progress", name="progress dashboard")

    @task(1)
    def progress_excel(self) -> None:
        self.client.get(f"{API}/progress/report.xlsx", name="progress Excel")

    @task(2)
    def review_queue(self) -> None:
        self.client.get(f"{API}/needs/review-queue", headers=self.bureau, name="review queue")

    @task(1)
    def export(self) -> None:
        self.client.get(f"{API}/exports/needs.xlsx?industry=汽车制造&county=南湖区", name="export needs")
