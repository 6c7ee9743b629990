"""Index settings, declared once and applied the same way at start and at rebuild.

Three indexes, named ``<prefix><name>``:

* ``needs``      published needs, public fields only (built from an allow-list);
* ``needs_all``  every need that reached the bureau, including unpublished ones, for bureau staff;
* ``providers``  provider profiles with their capabilities.

All three carry a user-provided embedder named ``default``: the outbox worker computes the
vectors with ``matching`` and sends them in ``_vectors``, so hybrid search needs no model inside
Meilisearch.

The vectors live in the vector store named by ``vector_store``: ``"experimental"`` (hannoy, an
HNSW graph) or ``"stable"`` (arroy, random-projection trees, Meilisearch's default). On a
100,000-need index arroy spends 0.35 s to several seconds rebuilding its trees on every small
write, which is what a newly published need waits for before it can be found; hannoy updates its
graph in place. Choosing the store needs the instance-wide ``vectorStoreSetting`` experimental
feature, which ``ensure_indexes`` switches on. Changing the store of a live index is a settings
task that converts the stored vectors in place; documents are kept.

The default stays "stable": on Meilisearch 1.21 (hannoy 0.0.5) hybrid searches on a 20,000-need
index built in batches with "experimental" panicked ("internal error: entered unreachable code:
Links must exist", HTTP 500) for some query vectors. Revisit with a newer Meilisearch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, get_args

from search.client import MeiliClient

NEEDS: Final = "needs"
NEEDS_ALL: Final = "needs_all"
PROVIDERS: Final = "providers"
INDEX_NAMES: Final = (NEEDS, NEEDS_ALL, PROVIDERS)

EMBEDDER: Final = "default"
DEFAULT_DIMENSIONS: Final = 384

VectorStore = Literal["stable", "experimental"]
VECTOR_STORES: Final[tuple[str, ...]] = get_args(VectorStore)
# Same default as ``MeiliSettings.vector_store`` (a test keeps them equal).
DEFAULT_VECTOR_STORE: Final[VectorStore] = "stable"
VECTOR_STORE_FEATURE: Final = "vectorStoreSetting"

# Domain variants that users write interchangeably. Each group is made mutual.
SYNONYM_GROUPS: Final[tuple[tuple[str, ...], ...]] = (
    ("数控机床", "CNC机床", "数控设备"),
    ("光伏", "太阳能", "光伏发电"),
    ("余热回收", "余热利用", "废热回收"),
    ("MES", "制造执行系统"),
    ("ERP", "企业资源计划"),
    ("PLC", "可编程控制器", "可编程逻辑控制器"),
    ("机器视觉", "视觉检测", "AI质检"),
    ("工业互联网", "IIoT", "工业物联网"),
    ("数字孪生", "数字双胞胎"),
    ("储能", "蓄能", "储能系统"),
    ("节能", "节能降耗", "能效提升"),
    ("碳排放", "碳足迹", "碳核算"),
    ("污水处理", "废水处理"),
    ("VOCs", "挥发性有机物", "VOCs治理"),
    ("印染", "染整"),
    ("AGV", "自动导引车", "无人搬运车"),
    ("机器人", "工业机器人", "机械臂"),
    ("大数据", "数据分析"),
    ("人工智能", "AI"),
    ("WMS", "仓储管理系统"),
    ("SCADA", "数据采集与监控系统"),
    ("电机", "马达"),
    ("空压机", "空气压缩机"),
    ("锅炉", "蒸汽锅炉"),
    ("新能源", "清洁能源"),
    ("绿色化", "绿色转型", "低碳"),
    ("数字化", "数字化转型", "智能化改造"),
)

# Function words that carry no meaning for matching a need; kept short on purpose so a real
# term is never dropped.
STOP_WORDS: Final = (
    "的", "了", "和", "与", "及", "以及", "等", "是", "在", "对", "为", "将", "把", "被",
    "我们", "我司", "本公司", "一个", "一种", "相关", "有关", "进行", "通过",
)  # fmt: skip


def synonyms(groups: Iterable[Iterable[str]] = SYNONYM_GROUPS) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for group in groups:
        words = list(dict.fromkeys(group))
        for word in words:
            others = [w for w in words if w != word]
            result.setdefault(word, [])
            result[word].extend(w for w in others if w not in result[word])
    return result


def _common(dimensions: int, vector_store: VectorStore) -> dict[str, Any]:
    if vector_store not in VECTOR_STORES:
        raise ValueError(f"unknown vector store {vector_store!r}; one of {', '.join(VECTOR_STORES)}")
    return {
        "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["zho"]}],
        "synonyms": synonyms(),
        "stopWords": list(STOP_WORDS),
        # Chinese words are two to four characters: typo tolerance only makes sense for the
        # Latin acronyms and words mixed in, and never for numbers (budgets, years).
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnNumbers": True,
        },
        "faceting": {"maxValuesPerFacet": 200, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": 5000},
        "proximityPrecision": "byAttribute",
        "facetSearch": False,
        # Searches are submitted, not typed-ahead; without prefix databases each small write
        # indexes much faster (freshness) on large indexes.
        "prefixSearch": "disabled",
        "embedders": {EMBEDDER: {"source": "userProvided", "dimensions": dimensions}},
        # Set explicitly even when "stable", so going back from "experimental" is a setting too.
        "vectorStore": vector_store,
    }


_NEED_SEARCHABLE = [
    "title",
    "summary",
    "key_terms",
    "problem",
    "description",
    "industry_label",
    "track_label",
    "county_label",
    "org_name",
]
_NEED_FILTERABLE = [
    "id",
    "industry",
    "county",
    "track",
    "status",
    "cooperation_mode",
    "budget_min_wan",
    "budget_max_wan",
    "deadline_ts",
    "published_ts",
    "open_rank",
    "batch_id",
    "org_id",
    "anonymous",
    "updated_ts",
]
_NEED_SORTABLE = ["open_rank", "published_ts", "deadline_ts", "budget_max_wan", "updated_ts"]
# ``sort`` ranks first on the needs indexes: every order puts the needs open for responses
# (``open_rank`` 0) before the closed ones, and a chosen order (deadline, budget) is that order.
_NEED_RANKING_RULES = ["sort", "words", "typo", "proximity", "attribute", "exactness"]

_PROVIDER_SEARCHABLE = [
    "name",
    "capability_names",
    "key_terms",
    "summary",
    "capability_text",
    "industry_labels",
    "county_label",
]
_PROVIDER_FILTERABLE = [
    "id",
    "org_id",
    "kind",
    "county",
    "industries",
    "tracks",
    "verified",
    "capability_types",
    "updated_ts",
]
_PROVIDER_SORTABLE = ["updated_ts", "name"]


def index_settings(
    name: str, dimensions: int = DEFAULT_DIMENSIONS, vector_store: VectorStore = DEFAULT_VECTOR_STORE
) -> dict[str, Any]:
    """The full settings of one index kind."""
    settings = _common(dimensions, vector_store)
    if name in (NEEDS, NEEDS_ALL):
        filterable = list(_NEED_FILTERABLE)
        if name == NEEDS_ALL:
            filterable += ["disclosure"]
        settings.update(
            searchableAttributes=list(_NEED_SEARCHABLE),
            filterableAttributes=filterable,
            sortableAttributes=list(_NEED_SORTABLE),
            rankingRules=list(_NEED_RANKING_RULES),
        )
    elif name == PROVIDERS:
        settings.update(
            searchableAttributes=list(_PROVIDER_SEARCHABLE),
            filterableAttributes=list(_PROVIDER_FILTERABLE),
            sortableAttributes=list(_PROVIDER_SORTABLE),
        )
    else:
        raise ValueError(f"unknown index kind {name!r}")
    return settings


def index_uid(prefix: str, name: str) -> str:
    if name not in INDEX_NAMES:
        raise ValueError(f"unknown index kind {name!r}")
    return f"{prefix}{name}"


# Meilisearch returns these as sets (sorted); their order carries no meaning.
_UNORDERED: Final = ("stopWords", "sortableAttributes", "filterableAttributes")


def _changed(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The wanted settings whose value differs from the current one."""
    return {key: value for key, value in wanted.items() if _differs(current, {key: value})}


def _differs(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        have = current.get(key)
        if isinstance(value, list) and isinstance(have, list) and key in _UNORDERED:
            if sorted(value) != sorted(have):
                return True
        elif isinstance(value, dict) and isinstance(have, dict) and key == "synonyms":
            if {k: sorted(v) for k, v in value.items()} != {k: sorted(v) for k, v in have.items()}:
                return True
        elif isinstance(value, dict) and isinstance(have, dict):
            if _differs(have, value):
                return True
        elif have != value:
            return True
    return False


def enable_vector_store_setting(client: MeiliClient) -> None:
    """Switch on the experimental feature without which Meilisearch refuses ``vectorStore``.

    Needed for either value: an index moved to "experimental" goes back only by setting
    "stable" explicitly. Instance-wide and kept across restarts; only written when off.
    """
    if not client.experimental_features().get(VECTOR_STORE_FEATURE):
        client.update_experimental_features({VECTOR_STORE_FEATURE: True})


def ensure_index(
    client: MeiliClient,
    uid: str,
    name: str,
    dimensions: int = DEFAULT_DIMENSIONS,
    timeout: float | None = None,
    *,
    vector_store: VectorStore = DEFAULT_VECTOR_STORE,
) -> None:
    """Create ``uid`` if missing and give it the settings of kind ``name``; waits for both.

    An existing index with another vector store is converted by the settings task (documents
    and vectors are kept); on a large index that takes a while, hence ``timeout``.
    """
    wanted = index_settings(name, dimensions, vector_store)
    enable_vector_store_setting(client)
    if client.get_index(uid) is None:
        client.wait_task(client.create_index(uid, "id"), timeout)
    else:
        # Only what changed: the task then does only that work (a store switch converts the
        # vectors, and nothing else is re-examined).
        wanted = _changed(client.get_settings(uid), wanted)
        if not wanted:
            return
    client.wait_task(client.update_settings(uid, wanted), timeout)


def ensure_indexes(
    client: MeiliClient,
    prefix: str,
    dimensions: int = DEFAULT_DIMENSIONS,
    names: Iterable[str] = INDEX_NAMES,
    timeout: float | None = None,
    *,
    vector_store: VectorStore = DEFAULT_VECTOR_STORE,
) -> dict[str, str]:
    """Apply the declared settings to every index, idempotently. Returns ``{kind: uid}``."""
    uids: dict[str, str] = {}
    for name in names:
        uid = index_uid(prefix, name)
        ensure_index(client, uid, name, dimensions, timeout, vector_store=vector_store)
        uids[name] = uid
    return uids
