"""A small synchronous Meilisearch client over httpx.

Only what Jiebang uses. Network failures become ``MeiliUnavailable``; error answers become
``MeiliRequestError``; a task that ends badly becomes ``MeiliTaskFailed``.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import httpx

from search.errors import MeiliRequestError, MeiliTaskFailed, MeiliUnavailable

Json = dict[str, Any]

FINISHED: Final = frozenset({"succeeded", "failed", "canceled"})


class MeiliClient:
    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        max_connections: int = 32,
        task_timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.task_timeout = task_timeout
        # Compressed answers are streamed in chunks and stall ~40 ms per search on delayed ACKs
        # (measured: p50 44 ms with gzip, 1.8 ms with identity); Meilisearch sits on a local
        # network, so compression buys nothing.
        headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            # Headers and body go out in two sends; don't let Nagle hold the second one.
            transport=httpx.HTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            ),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MeiliClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        allow_404: bool = False,
    ) -> Any:
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            resp = self._http.request(method, path, content=content, params=params)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise MeiliUnavailable(
                f"无法连接 Meilisearch（{self.url}）：{type(exc).__name__}。"
                f" (Meilisearch at {self.url} unreachable: {exc})"
            ) from None
        if resp.status_code == 404 and allow_404:
            return None
        if resp.status_code >= 500 and resp.status_code in (502, 503, 504):
            raise MeiliUnavailable(
                f"Meilisearch 暂时不可用（HTTP {resp.status_code}）。"
                f" (Meilisearch answered {resp.status_code})"
            )
        if resp.status_code >= 400:
            try:
                err = resp.json()
            except ValueError:
                err = {"message": resp.text}
            raise MeiliRequestError(
                f"Meilisearch 请求失败 {method} {path}: {err.get('message', '')}",
                resp.status_code,
                str(err.get("code", "")),
            )
        if not resp.content:
            return None
        return resp.json()

    # -- server ------------------------------------------------------------------------------

    def health(self) -> Json:
        result: Json = self._request("GET", "/health")
        return result

    def is_healthy(self) -> bool:
        try:
            return self.health().get("status") == "available"
        except MeiliUnavailable:
            return False

    def version(self) -> Json:
        result: Json = self._request("GET", "/version")
        return result

    def experimental_features(self) -> dict[str, bool]:
        result: dict[str, bool] = self._request("GET", "/experimental-features")
        return result

    def update_experimental_features(self, features: Mapping[str, bool]) -> dict[str, bool]:
        """Instance-wide and synchronous (no task); Meilisearch keeps them across restarts."""
        result: dict[str, bool] = self._request("PATCH", "/experimental-features", body=dict(features))
        return result

    def stats(self, index: str | None = None) -> Json:
        path = f"/indexes/{index}/stats" if index else "/stats"
        result: Json = self._request("GET", path)
        return result

    # -- tasks -------------------------------------------------------------------------------

    def get_task(self, uid: int) -> Json:
        result: Json = self._request("GET", f"/tasks/{uid}")
        return result

    def wait_task(self, uid: int, timeout: float | None = None, *, raise_on_failure: bool = True) -> Json:
        """Poll until the task finishes; raise ``MeiliTaskFailed`` unless it succeeded."""
        deadline = time.monotonic() + (self.task_timeout if timeout is None else timeout)
        delay = 0.002
        while True:
            task = self.get_task(uid)
            status = task.get("status")
            if status in FINISHED:
                if status != "succeeded" and raise_on_failure:
                    error = task.get("error") or {}
                    raise MeiliTaskFailed(
                        f"Meilisearch 任务 {uid}（{task.get('type')}）{status}: "
                        f"{error.get('code', '')} {error.get('message', '')}".strip(),
                        task,
                    )
                return task
            if time.monotonic() >= deadline:
                raise MeiliTaskFailed(f"Meilisearch 任务 {uid} 超时未完成 (task {uid} timed out)", task)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def wait_tasks(self, uids: Iterable[int], timeout: float | None = None) -> list[Json]:
        return [self.wait_task(uid, timeout) for uid in uids]

    def cancel_tasks(self, uids: Iterable[int]) -> int:
        """Cancel enqueued or processing tasks; a processing batch is aborted and leaves no trace."""
        ids = ",".join(str(u) for u in uids)
        return self._task_uid(self._request("POST", "/tasks/cancel", params={"uids": ids}))

    def get_tasks(self, **params: Any) -> Json:
        result: Json = self._request("GET", "/tasks", params=params)
        return result

    def get_batch(self, uid: int) -> Json:
        """A batch of tasks, with ``stats.progressTrace``: where the indexer spent its time."""
        result: Json = self._request("GET", f"/batches/{uid}")
        return result

    @staticmethod
    def _task_uid(answer: Json) -> int:
        return int(answer["taskUid"])

    # -- indexes -----------------------------------------------------------------------------

    def list_indexes(self, limit: int = 1000) -> list[Json]:
        result = self._request("GET", "/indexes", params={"limit": limit})
        return list(result.get("results", []))

    def get_index(self, uid: str) -> Json | None:
        result: Json | None = self._request("GET", f"/indexes/{uid}", allow_404=True)
        return result

    def create_index(self, uid: str, primary_key: str = "id") -> int:
        return self._task_uid(self._request("POST", "/indexes", body={"uid": uid, "primaryKey": primary_key}))

    def delete_index(self, uid: str) -> int:
        return self._task_uid(self._request("DELETE", f"/indexes/{uid}"))

    def get_settings(self, index: str) -> Json:
        result: Json = self._request("GET", f"/indexes/{index}/settings")
        return result

    def update_settings(self, index: str, settings: Mapping[str, Any]) -> int:
        return self._task_uid(self._request("PATCH", f"/indexes/{index}/settings", body=dict(settings)))

    def swap_indexes(self, pairs: Sequence[tuple[str, str]]) -> int:
        body = [{"indexes": [a, b]} for a, b in pairs]
        return self._task_uid(self._request("POST", "/swap-indexes", body=body))

    # -- documents ---------------------------------------------------------------------------

    def add_documents(self, index: str, docs: Sequence[Mapping[str, Any]], primary_key: str = "id") -> int:
        """Add or replace documents by primary key (idempotent)."""
        return self._task_uid(
            self._request(
                "POST", f"/indexes/{index}/documents", body=list(docs), params={"primaryKey": primary_key}
            )
        )

    def update_documents(self, index: str, docs: Sequence[Mapping[str, Any]], primary_key: str = "id") -> int:
        """Merge the given fields into documents by primary key (``PUT``); other fields are kept."""
        return self._task_uid(
            self._request(
                "PUT", f"/indexes/{index}/documents", body=list(docs), params={"primaryKey": primary_key}
            )
        )

    def delete_documents(self, index: str, ids: Sequence[str | int]) -> int:
        return self._task_uid(
            self._request("POST", f"/indexes/{index}/documents/delete-batch", body=list(ids))
        )

    def delete_all_documents(self, index: str) -> int:
        return self._task_uid(self._request("DELETE", f"/indexes/{index}/documents"))

    def get_document(self, index: str, doc_id: str | int, fields: Sequence[str] | None = None) -> Json | None:
        params: dict[str, Any] = {}
        if fields:
            params["fields"] = ",".join(fields)
        result: Json | None = self._request(
            "GET", f"/indexes/{index}/documents/{doc_id}", params=params, allow_404=True
        )
        return result

    def get_documents(
        self,
        index: str,
        *,
        fields: Sequence[str] | None = None,
        filter: str | list[Any] | None = None,  # noqa: A002 - Meilisearch's name
        limit: int = 1000,
        offset: int = 0,
        retrieve_vectors: bool = False,
    ) -> Json:
        body: Json = {"limit": limit, "offset": offset}
        if fields:
            body["fields"] = list(fields)
        if filter:
            body["filter"] = filter
        if retrieve_vectors:
            body["retrieveVectors"] = True
        result: Json = self._request("POST", f"/indexes/{index}/documents/fetch", body=body)
        return result

    def iter_documents(
        self,
        index: str,
        *,
        fields: Sequence[str] | None = None,
        batch: int = 1000,
        filter: str | list[Any] | None = None,  # noqa: A002 - Meilisearch's name
        retrieve_vectors: bool = False,
    ) -> Iterable[Json]:
        offset = 0
        while True:
            page = self.get_documents(
                index, fields=fields, filter=filter, limit=batch, offset=offset, retrieve_vectors=retrieve_vectors
            )
            results = page.get("results", [])
            yield from results
            offset += len(results)
            if not results or offset >= int(page.get("total", 0)):
                return

    # -- search ------------------------------------------------------------------------------

    def search(self, index: str, params: Mapping[str, Any]) -> Json:
        result: Json = self._request("POST", f"/indexes/{index}/search", body=dict(params))
        return result

    def multi_search(self, queries: Sequence[Mapping[str, Any]], federation: Mapping[str, Any] | None = None) -> Json:
        body: Json = {"queries": [dict(q) for q in queries]}
        if federation is not None:
            body["federation"] = dict(federation)
        result: Json = self._request("POST", "/multi-search", body=body)
        return result
