"""Private helpers at the paths LangGraph's own private modules have, for libraries
that import them (langchain's agents, langgraph-supervisor, langgraph-swarm, trustcall)."""
