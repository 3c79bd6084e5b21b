import re

from tests.services import REPO

READ_IN_SETTINGS = re.compile(r'(?:env_\w+|_secret)\(\s*"([A-Z][A-Z0-9_]+)"')


def test_env_example_lists_every_variable_the_settings_read():
    read = set(READ_IN_SETTINGS.findall((REPO / "smilepay" / "settings.py").read_text()))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert read, "the pattern found no variables: has settings.py changed shape?"
    assert read - listed == set(), "add these to .env.example with a line of explanation"


def test_env_example_lists_every_variable_the_face_engine_reads():
    engine = REPO / "smilepay" / "faces"
    source = "\n".join(path.read_text() for path in engine.rglob("*.py"))
    read = set(re.findall(r'"(SMILEPAY_[A-Z0-9_]+)"', source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert read, "the pattern found no variables: has the engine changed shape?"
    assert read - listed == set(), "add these to .env.example with a line of explanation"
