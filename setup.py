"""Build hook: ship `langgraph_jit_switch.pth` at the top of the wheel.

Python runs a `.pth` file's import lines at startup, so a pip-installed langgraph_jit
honours `LANGGRAPH_JIT=1 python prog.py` (the switch, before the program imports
LangGraph). Everything else about the build is in pyproject.toml. Editable installs do
not get the hook (setuptools maps them to the source tree): use `python -m langgraph_jit
run` or `langgraph_jit.install()` there.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "langgraph_jit_switch.pth"


class BuildWithSwitchHook(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(os.path.join("src", PTH), os.path.join(self.build_lib, PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildWithSwitchHook})
