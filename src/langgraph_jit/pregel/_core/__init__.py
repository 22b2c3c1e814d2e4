"""The engine core: topology, channel table, checkpoint state, tasks, planning and commit.

Sans-IO and free of user-code execution: it never imports the run coordinator,
the drivers, the task runner, node builders or `main` (tests/test_import_graph.py).
"""
