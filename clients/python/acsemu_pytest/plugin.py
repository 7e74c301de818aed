"""pytest plugin: the `acsemu` fixture.

One acsemu per test session (`acsemu_session`), started on a free port; each
test that uses `acsemu` gets it back in the state of the session start
(a checkpoint restored after the test). When a test fails, the report gains
an "acsemu decisions" section with the requests acsemu denied during it,
each explained (GET /_emu/decisions/ID).

Options: --acsemu-bin PATH (default $ACSEMU_BIN, else acsemu on PATH),
--acsemu-world FILE (default: the seed world). With $ACSEMU_ENDPOINT set (a CI
service) the fixture attaches to that acsemu instead of starting one.
Enable it with `pytest_plugins = ["acsemu_pytest.plugin"]` in conftest.py
(installed with pip it registers itself).
"""
import pytest

from . import start

_CHECKPOINT = "acsemu-pytest-session"


def pytest_addoption(parser):
    g = parser.getgroup("acsemu")
    g.addoption("--acsemu-bin", default=None, help="acsemu binary (default: $ACSEMU_BIN, else PATH)")
    g.addoption("--acsemu-world", default=None, help="world file (default: the seed world)")


@pytest.fixture(scope="session")
def acsemu_session(request):
    emu = start(binary=request.config.getoption("--acsemu-bin"), world=request.config.getoption("--acsemu-world"))
    emu.checkpoint(_CHECKPOINT)
    yield emu
    emu.stop()


@pytest.fixture
def acsemu(acsemu_session, request):
    request.node._acsemu = (acsemu_session, acsemu_session.last_decision_number())
    yield acsemu_session
    acsemu_session.restore(_CHECKPOINT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    state = getattr(item, "_acsemu", None)
    if state is None or report.when != "call" or not report.failed:
        return
    emu, mark = state
    try:
        text = emu.format_decisions(emu.denials_since(mark)) or "no request was denied during this test"
    except Exception as e:  # the report must not hide the test's own failure
        text = f"could not read decisions: {e}"
    report.sections.append(("acsemu decisions", text))
