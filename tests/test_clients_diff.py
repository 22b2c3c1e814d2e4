"""Libraries built on LangGraph (langchain create_agent, langgraph-supervisor,
langgraph-swarm, trustcall) run unchanged through the switch with the same results."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain")
pytest.importorskip("langgraph_supervisor")
pytest.importorskip("langgraph_swarm")
pytest.importorskip("trustcall")

from _program_diff import assert_same, run_both

SCENARIOS = [
    "create_agent_middleware",
    "create_agent_hitl",
    "supervisor",
    "supervisor_invoke",
    "swarm",
    "trustcall_extract",
    "trustcall_repair",
]


@pytest.fixture(scope="module")
def results():
    return run_both("clients.py")


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_as_langgraph(results, name):
    assert_same(*results, name)
