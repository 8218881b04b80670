import pytest

from tests.crm.register_server import VirkRegister, use_virk, virk_document


@pytest.fixture
def virk(settings, httpserver):
    """The system-to-system register, on the local test server, answering ``virk_document``."""
    use_virk(settings, httpserver)
    return VirkRegister(httpserver, virk_document())
