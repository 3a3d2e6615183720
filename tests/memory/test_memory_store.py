"""The store against a real persistent Chroma directory: merge, MMR, filters, update, prune, tool docs."""

from __future__ import annotations

import pytest

from triloop.memory.errors import InvalidQueryError, RecordNotFoundError, RecordTooLargeError
from triloop.memory.records import ExperienceRecord, ToolsetRecord, ToolTrace
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore
from triloop.tools.base import ToolSpec


def exp(task: str, kind: str = "coding", outcome: str = "solved", **kw) -> ExperienceRecord:
    return ExperienceRecord(task=task, task_kind=kind, outcome=outcome, **kw)


def test_near_duplicate_merges_and_updates_counters(store: MemoryStore) -> None:
    first = store.add(
        exp("Sort a list of integers in Python", lesson="use sorted()", tags=["sort"], tokens=10)
    )
    again = store.add(
        exp("Sort a list of integers in Python.", lesson="use sorted()", tags=["list"], tokens=5)
    )
    other = store.add(exp("Train a logistic regression on the iris data", kind="coding"))
    assert not first.merged and again.merged and again.id == first.id and again.similarity >= 0.92
    assert not other.merged
    merged = store.get("experiences", first.id)
    assert merged.occurrences == 2 and merged.merged == 1 and merged.tokens == 15
    assert merged.tags == ["list", "sort"]
    assert store.stats().collections[1].count == 2


def test_merge_threshold_is_configurable(tmp_path, embedding) -> None:
    with MemoryStore(MemorySettings(dir=tmp_path / "m", merge_threshold=1.0), embedding) as strict:
        strict.add(exp("Sort a list of integers in Python"))
        assert not strict.add(exp("Sort a list of integers in Python, please")).merged


def test_failed_then_solved_keeps_the_solution(store: MemoryStore) -> None:
    first = store.add(
        exp("Parse ISO dates from a CSV column", outcome="failed", failures=["strptime format wrong"])
    )
    store.add(
        exp(
            "Parse ISO dates from a CSV column", outcome="solved", answer_summary="pd.to_datetime", lesson="L"
        )
    )
    record = store.get("experiences", first.id)
    assert record.outcome == "solved" and record.answer_summary == "pd.to_datetime"
    assert record.failures == ["strptime format wrong"]


def test_mmr_diversifies_results(tmp_path, embedding) -> None:
    store = MemoryStore(MemorySettings(dir=tmp_path / "m", mmr_lambda=0.3), embedding)
    for i, task in enumerate(
        [
            "Compute the mean of a list of numbers in Python",
            "Compute the average of a list of numbers with Python",
            "Calculate the arithmetic mean of a Python list of numbers",
            "Compute the median of a list of numbers in Python",
            "Read a JSON file and compute the mean of a field",
        ]
    ):
        store.put([exp(task, tags=[str(i)])])  # put: no merging, so the near-duplicates all stay
    plain = store.search("experiences", "mean of a list of numbers in python", k=3, mmr=False)
    diverse = store.search("experiences", "mean of a list of numbers in python", k=3, mmr=True)
    assert [h.similarity for h in plain] == sorted((h.similarity for h in plain), reverse=True)
    assert {h.record.task for h in plain} != {h.record.task for h in diverse}
    assert any("median" in h.record.task or "JSON" in h.record.task for h in diverse)
    assert diverse[0].record.task == plain[0].record.task  # the best match always comes first
    store.close()


def test_filters_by_task_kind_and_metadata(store: MemoryStore) -> None:
    store.put(
        [
            exp("Fix the off-by-one error in a loop", outcome="failed"),
            exp("Fix the off-by-one error in a range", outcome="solved"),
            exp("Who wrote the novel Dune?", kind="general", outcome="solved"),
        ]
    )
    general = store.search("experiences", "off-by-one error", k=5, task_kind="general")
    assert [h.record.task_kind for h in general] == ["general"]
    solved = store.search(
        "experiences", "off-by-one error", k=5, task_kind="coding", where={"outcome": "solved"}
    )
    assert [h.record.task for h in solved] == ["Fix the off-by-one error in a range"]
    everywhere = store.search("experiences", "off-by-one error", k=5)
    assert len(everywhere) == 3
    with pytest.raises(InvalidQueryError):
        store.search("experiences", "x", where={"outcome": {"$bogus": 1}})


def test_older_task_kind_names_read_as_general(store: MemoryStore) -> None:
    """Records and collections written under the old names ("qa", "chat") stay readable as "general"."""
    assert exp("Who wrote the novel Dune?", kind="qa").task_kind == "general"
    assert exp("Say hello", kind="chat").task_kind == "general"
    with pytest.raises(ValueError):
        exp("Say hello", kind="poetry")
    # a record an older store wrote: in the "qa" collection, and its document says "qa"
    old = exp("Who wrote the novel Dune?", kind="general")
    document = old.model_dump_json().replace('"task_kind":"general"', '"task_kind":"qa"')
    assert '"task_kind":"qa"' in document
    with store.backend.writing():
        store.backend.collection("triloop.experiences.qa").upsert(
            ids=[old.id],
            embeddings=store._encode([old.embedding_text()]),
            documents=[document],
            metadatas=[{**old.filter_metadata(), "task_kind": "qa"}],
        )
    store.add(exp("Who wrote the play Hamlet?", kind="qa"))  # written now: to the "general" collection
    for task_kind in ("general", "qa", "chat"):  # the old names search the same experiences
        hits = store.search("experiences", "author of a book", k=5, task_kind=task_kind)  # type: ignore[arg-type]
        assert sorted(h.record.task for h in hits) == [
            "Who wrote the novel Dune?",
            "Who wrote the play Hamlet?",
        ]
        assert {h.record.task_kind for h in hits} == {"general"}
    assert store.search("experiences", "author of a book", k=5, task_kind="coding") == []


def test_update_bumps_version_and_reembeds(store: MemoryStore) -> None:
    added = store.add(
        ToolsetRecord(name="mean", code="def mean(x): return sum(x)/len(x)", doc="average of numbers")
    )
    record = store.get("toolset", added.id)
    updated = store.update(record.model_copy(update={"doc": "split a string into words"}))
    assert updated.version == 2 and record.version == 1
    assert store.get("toolset", added.id).doc == "split a string into words"
    assert store.search("toolset", "tokenize text into words", k=1)[0].record.id == added.id
    with pytest.raises(RecordNotFoundError):
        store.update(ToolsetRecord(name="ghost", code="x", doc="y"))


def test_tool_docs_upsert_and_traces_are_bounded(tmp_path, embedding) -> None:
    spec = ToolSpec(
        name="run_python", signature="run_python(code: str) -> str", purpose="run code in a sandbox"
    )
    with MemoryStore(MemorySettings(dir=tmp_path / "m", max_traces=3), embedding) as store:
        doc = store.upsert_tool_doc(spec)
        assert doc.version == 1 and store.upsert_tool_doc(spec).version == 1  # unchanged: no-op
        for i in range(5):
            store.record_tool_call(
                "run_python", ToolTrace(ok=i % 2 == 0, args={"code": str(i)}, note=f"n{i}")
            )
        doc = store.get_tool_doc("run_python")
        assert (doc.calls, doc.failures) == (5, 2)
        assert [t.note for t in doc.traces] == ["n2", "n3", "n4"]
        changed = store.upsert_tool_doc(spec.model_copy(update={"purpose": "execute Python in a sandbox"}))
        assert changed.version == 2 and changed.calls == 5
        assert store.search("tool_docs", "execute python code", k=1)[0].record.name == "run_python"
        with pytest.raises(RecordNotFoundError):
            store.record_tool_call("nope", ToolTrace(ok=True))


def test_prune_keeps_the_most_useful(store: MemoryStore) -> None:
    tasks = ["Build a web scraper", "Bake sourdough bread", "Prove the Pythagorean theorem", "Tune a guitar"]
    store.put([exp(t, kind="general") for t in tasks])
    helped = store.search("experiences", "guitar tuning", k=1)[0].record
    store.mark_helped("experiences", helped.id)
    report = store.prune(max_records=1)
    assert report.removed == {"triloop.experiences.general": 3}
    assert [r.task for r in store.iter_records("experiences")] == ["Tune a guitar"]


def test_bad_input_is_rejected_and_changes_nothing(tmp_path, embedding) -> None:
    with MemoryStore(MemorySettings(dir=tmp_path / "m", max_record_chars=500), embedding) as store:
        store.add(exp("Small task"))
        with pytest.raises(RecordTooLargeError):
            store.add(exp("Big task", answer_summary="x" * 1000))
        with pytest.raises(RecordTooLargeError):
            store.put([exp("ok task"), exp("Big task", answer_summary="x" * 1000)])
        for bad in ("", "   "):
            with pytest.raises(InvalidQueryError):
                store.search("experiences", bad)
        with pytest.raises(InvalidQueryError):
            store.search("recipes", "x")  # type: ignore[arg-type]
        with pytest.raises(InvalidQueryError):
            store.search("toolset", "x", task_kind="coding")
        with pytest.raises(InvalidQueryError):
            store.search("toolset", "x", k=0)
        assert [r.task for r in store.iter_records("experiences")] == ["Small task"]


def test_post_filter_and_chroma_filter_agree(tmp_path, embedding) -> None:
    """The fast path (post-filter an over-fetched plain query) must return what Chroma's filter returns."""
    tasks = [
        f"Write a function that {verb} a {noun}"
        for verb in ("sorts", "reverses", "hashes", "parses")
        for noun in ("list", "string", "file", "tree", "matrix")
    ]
    records = [
        exp(t, outcome=("solved", "failed", "partial")[i % 3], tokens=i * 10) for i, t in enumerate(tasks)
    ]
    wheres = [
        {"outcome": "solved"},
        {"outcome": {"$in": ["failed", "partial"]}},
        {"$and": [{"outcome": {"$ne": "solved"}}, {"tokens": {"$gte": 50}}]},
        {"$or": [{"tokens": {"$lt": 30}}, {"outcome": "partial"}]},
    ]
    results = []
    for overfetch in (1, 50):  # 1: too few matches, falls back to Chroma's filter; 50: post-filter only
        settings = MemorySettings(dir=tmp_path / f"m{overfetch}", filter_overfetch=overfetch)
        with MemoryStore(settings, embedding) as store:
            store.put(records)
            results.append(
                [
                    [
                        h.record.id
                        for h in store.search("experiences", "reverse a string", k=4, where=w, mmr=False)
                    ]
                    for w in wheres
                ]
            )
    assert results[0] == results[1]
    assert all(len(ids) == 4 for ids in results[0])
    by_id = {r.id: r for r in records}
    assert all(by_id[i].outcome == "solved" for i in results[0][0])
    assert all(by_id[i].outcome != "solved" and by_id[i].tokens >= 50 for i in results[0][2])


def test_a_query_before_the_servers_index_reaches_disk_is_retried_briefly():
    from triloop.memory.search import query

    class FreshCollection:
        """FAKE collection: the chroma-server race of chroma-core/chroma#4212, then an answer."""

        def __init__(self, failures: int, message: str) -> None:
            self.failures, self.message, self.calls = failures, message, 0

        def query(self, **kwargs):
            self.calls += 1
            if self.calls <= self.failures:
                raise RuntimeError(self.message)
            return {"ids": [["a"]]}

    race = FreshCollection(2, "Error creating hnsw segment reader: Nothing found on disk")
    assert query(race, n_results=1) == {"ids": [["a"]]} and race.calls == 3
    other = FreshCollection(1, "bad filter")
    with pytest.raises(RuntimeError, match="bad filter"):
        query(other, n_results=1)
    assert other.calls == 1  # any other error is not retried
    lasting = FreshCollection(99, "Nothing found on disk")
    with pytest.raises(RuntimeError):
        query(lasting, n_results=1)
    assert lasting.calls == 6  # bounded
