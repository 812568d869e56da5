"""Test-only start-up hook: the network guard in every Python process the tests start.

Python imports ``sitecustomize`` at start-up from the first folder on sys.path that has one. The test helpers put
this folder on PYTHONPATH (see ``guard_env`` in ../network_guard.py); with GROUPBOT_TEST_NETWORK_GUARD=1 the process
then refuses connections to anything but loopback, as the test process does. Nothing else changes: a
``sitecustomize`` this one hides (later on sys.path) still runs.
"""

import importlib.util
import os
import sys
from pathlib import Path

_here = Path(__file__).resolve().parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if os.environ.get("GROUPBOT_TEST_NETWORK_GUARD") == "1":
    _load("groupbot_test_network_guard", _here.parent / "network_guard.py").install_from_environment()

for _folder in sys.path:
    if _folder and Path(_folder).resolve() != _here and (Path(_folder) / "sitecustomize.py").is_file():
        _load("_hidden_sitecustomize", Path(_folder) / "sitecustomize.py")
        break
