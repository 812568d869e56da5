"""Plain helpers the tests import: payload builders, the groupbot subprocess, checks on the fakes.

Set-up (environments, settings, stores, running servers) is done by fixtures in the conftest.py files.
"""
