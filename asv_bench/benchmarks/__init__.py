"""asv benchmarks for langgraph_jit, most parametrized over engine
("langgraph" = LangGraph 1.2.22, "jit" = langgraph_jit) for a reference line."""
